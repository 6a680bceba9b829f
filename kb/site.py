"""The site file: `_site.yml` in the articles folder names the help center.

```yaml
name: {zh: 钱包帮助中心, en: Wallet Help Center}   # or one text for every language
tagline: {zh: 查询退款、提现、账户问题, en: Refunds, withdrawals, your account}
search_placeholder: {zh: 输入你的问题, en: Ask a question}
contact:                                          # text, or a list of channels
  zh: [客服热线 400-800-1234（每天 8:00–22:00）, App「我的 → 客服中心」在线客服 24 小时]
  en: [Hotline 400-800-1234 (8:00–22:00), In-app chat, 24 h]
featured: [refunds/refund-timeline, payments/payment-failed]   # article ids for the home page
```

Every key is optional; without the file the site uses neutral defaults ("帮助中心" /
"Help Center"). Problems name the file, the line and the key, and never stop the site:
the valid keys still apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.errors import Problem

SITE_FILE = "_site.yml"
TEXT_KEYS = ("name", "tagline", "search_placeholder", "contact")
KEYS = (*TEXT_KEYS, "featured")
LANGS = ("zh", "en")
MAX_BYTES = 100_000
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Site:
    """What `_site.yml` says; texts are per language ('' when not set)."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # key → lang → text
    featured: tuple[str, ...] = ()

    def text(self, key: str, lang: str) -> str:
        return self.texts.get(key, {}).get(lang, "")


def load_site(root: Path) -> tuple[Site, list[Problem]]:
    """The site file of the articles folder `root` and the problems found in it."""
    path = Path(root) / SITE_FILE
    if not path.is_file():
        return Site(), []
    if path.is_symlink() and not path.resolve().is_relative_to(Path(root).resolve()):
        return Site(), [Problem(SITE_FILE, 0, "symlink points outside the articles folder; not read")]
    try:
        data = path.read_bytes()
        if len(data) > MAX_BYTES:
            return Site(), [Problem(SITE_FILE, 0, f"file is {len(data):,} bytes; the site file is limited "
                                    f"to {MAX_BYTES:,} bytes")]
        return parse_site(data.decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return Site(), [Problem(SITE_FILE, 0, f"cannot read as UTF-8: {exc}")]


def parse_site(text: str) -> tuple[Site, list[Problem]]:
    try:
        meta = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return Site(), [Problem(SITE_FILE, mark.line + 1 if mark else 1, f"invalid YAML: {reason}")]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        return Site(), [Problem(SITE_FILE, 1, f"invalid value: {str(exc)[:200]}")]
    if meta is None:
        return Site(), []
    if not isinstance(meta, dict):
        return Site(), [Problem(SITE_FILE, 1, "the site file must be a mapping of `key: value` lines, "
                                f"with keys {', '.join(KEYS)}")]
    lines = {}
    for n, line in enumerate(text.split("\n"), start=1):
        match = re.match(r"^([^\s:#][^:]*?)\s*:", line)
        if match:
            lines.setdefault(match.group(1), n)
    problems: list[Problem] = []
    texts: dict[str, dict[str, str]] = {}
    featured: tuple[str, ...] = ()
    for key, value in meta.items():
        line = lines.get(str(key), 1)
        if key in TEXT_KEYS:
            parsed = _texts(value, key == "contact")
            if parsed is None:
                problems.append(Problem(SITE_FILE, line, f"`{key}`: expected text, or one text per language "
                                        f"like {{zh: …, en: …}}" + (", or a list of channels"
                                                                     if key == "contact" else "")))
            else:
                texts[key] = parsed
        elif key == "featured":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(Problem(SITE_FILE, line, "`featured`: expected a list of article ids"))
            else:
                featured = tuple(dict.fromkeys(v.strip() for v in value))
        else:
            problems.append(Problem(SITE_FILE, line, f"unknown key `{key}`; the site file knows "
                                    f"{', '.join(KEYS)}", level="warning"))
    return Site(texts, featured), problems


def _one(value, channels: bool) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    if channels and isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return "；".join(str(v).strip() for v in value if str(v).strip())
    return None


def _texts(value, channels: bool) -> dict[str, str] | None:
    if isinstance(value, dict):
        out = {}
        for lang, text in value.items():
            one = _one(text, channels)
            if lang not in LANGS or one is None:
                return None
            out[lang] = one.replace("；", "; ") if lang == "en" else one
        return out
    one = _one(value, channels)
    return None if one is None else {lang: one for lang in LANGS}
