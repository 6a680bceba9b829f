"""Loading one Markdown article: bytes → front matter + body → `Article`.

Every failure raises `ArticleError` whose `Problem` names the file and line, in the
words an editor needs to fix it. Unknown front-matter keys are not fatal; they are
kept on the article so `kb check` can point at them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.errors import ArticleError, Problem
from kb.sections import Section, inline_to_text, split_sections

MAX_ARTICLE_BYTES = 1_000_000
KNOWN_KEYS = ("title", "id", "lang", "category", "tags", "questions", "summary",
              "related", "visibility", "updated", "draft", "translations")
LANGS = ("zh", "en")
VISIBILITIES = ("public", "internal")
DEFAULT_CATEGORY = "general"
SUMMARY_CHARS = 140

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")
_H1 = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Article:
    """A parsed article, ready to index or render."""

    id: str
    path: str  # relative to the articles folder, '/' separated
    title: str
    lang: str
    category: str
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    summary: str
    related: tuple[str, ...]
    visibility: str
    updated: str  # ISO date
    body: str  # Markdown after the front matter
    body_line: int  # file line where the body starts
    sections: tuple[Section, ...]
    source_hash: str
    unknown_keys: tuple[tuple[str, int], ...] = field(default=())  # (key, line)
    draft: bool = False  # `draft: true`: agents only, until the line is removed
    translations: tuple[str, ...] = ()  # ids of the same article in other languages

    @property
    def internal(self) -> bool:
        return self.visibility == "internal"


def article_id_for(relpath: str) -> str:
    """The default id: the path under articles/ without `.md`."""
    return relpath[:-3] if relpath.endswith(".md") else relpath


def is_valid_id(article_id: str) -> bool:
    """Ids appear in URLs (percent-encoded): '/'-separated parts, none empty, '.' or '..',
    with no control characters or backslashes, and no surrounding spaces."""
    parts = article_id.split("/")
    return (not _ID_FORBIDDEN.search(article_id) and article_id == article_id.strip()
            and all(p and p.strip() == p and p not in (".", "..") for p in parts))


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if han and han >= latin * 0.1 else "en"


def decode_source(data: bytes, relpath: str) -> str:
    """UTF-8 text (BOM and CRLF accepted) or an `ArticleError` naming the bad byte."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ArticleError(Problem(relpath, line, "binary file (contains NUL bytes), not Markdown"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ArticleError(Problem(relpath, line, f"not UTF-8 (byte 0x{data[exc.start]:02x}); "
                                   "save the file as UTF-8", col=col)) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, relpath: str) -> tuple[dict, str, int, dict[str, int]]:
    """Return (front matter, body, body's first line, key → line) for `text`."""
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return {}, text, 1, {}
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise ArticleError(Problem(relpath, 1, "front matter opened with '---' is never closed"))
    block = "\n".join(lines[1:end])
    try:
        meta = yaml.load(block, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = min(mark.line + 2, end) if mark else 1  # errors at end of input: last front-matter line
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(Problem(relpath, line, f"invalid YAML in front matter: {reason}",
                                   col=mark.column + 1 if mark else 0)) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        # Well-formed YAML whose value cannot be built: `updated: 2026-02-30`, `!!int abc`,
        # a 5,000-digit number. The value's own line is found by building one value at a time.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ArticleError(Problem(relpath, _unbuildable_line(block),
                                   f"invalid value in front matter: {reason}")) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(Problem(relpath, 2, "front matter must be a mapping of `key: value` lines"))
    key_lines = {}
    for n, line in enumerate(lines[1:end], start=2):
        match = re.match(r"^([^\s:#][^:]*?)\s*:", line)
        if match:
            key_lines.setdefault(match.group(1), n)
    return meta, "\n".join(lines[end + 1:]), end + 2, key_lines


def _unbuildable_line(block: str) -> int:
    """The file line of the first front-matter value YAML parses but cannot build (1 if unknown)."""
    try:
        loader = _YAML_LOADER(block)
        root = loader.get_single_node()
        for _key, value in getattr(root, "value", None) or []:
            try:
                loader.construct_object(value, deep=True)
            except Exception:  # whatever the value's constructor raised
                return value.start_mark.line + 2
    except Exception:  # the document as a whole cannot be composed: no better line to give
        pass
    return 1


class _Fields:
    """Typed access to front-matter values, raising problems that name the key and line."""

    def __init__(self, meta: dict, key_lines: dict[str, int], relpath: str):
        self.meta, self.key_lines, self.relpath = meta, key_lines, relpath

    def fail(self, key: str, message: str) -> ArticleError:
        return ArticleError(Problem(self.relpath, self.key_lines.get(key, 1), f"`{key}`: {message}"))

    def text(self, key: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise self.fail(key, "expected text, got a " + type(value).__name__)
        return str(value).strip()

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key) or default
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in re.split(r"[,，]", value)]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
            raise self.fail(key, "expected a list of text, e.g. [a, b]")
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def date(self, key: str, default: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return default
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise self.fail(key, f"expected a date like 2026-11-01, not {value!r}") from None


def read_article_bytes(path: Path, root: Path) -> bytes:
    """The raw bytes of an article file, refusing what must never be read.

    A symlink that resolves outside `root` is refused without reading its target.
    """
    relpath = path.relative_to(root).as_posix()
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        raise ArticleError(Problem(relpath, 0, "symlink points outside the articles folder; not read"))
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(Problem(relpath, 0, f"file is {size:,} bytes; articles are limited to 1 MB "
                                       f"({MAX_ARTICLE_BYTES:,} bytes)"))
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(Problem(relpath, 0, f"cannot read: {exc.strerror or exc}")) from None


def load_article(path: Path, root: Path) -> Article:
    """Read and validate the article at `path` (inside the folder `root`)."""
    data = read_article_bytes(path, root)
    return parse_article(data, path.relative_to(root).as_posix(), default_updated=file_date(path))


def file_date(path: Path) -> str:
    """The file's modification date, the default for `updated:`."""
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    except OSError:
        return ""


def parse_article(data: bytes, relpath: str, default_updated: str = "") -> Article:
    """Parse an article's raw bytes; `relpath` gives its default id and category.

    Whatever goes wrong is this article's `ArticleError` (file and line), never the run's:
    one broken file must not stop `kb check`, `kb index` or the live indexer."""
    try:
        return _parse_article(data, relpath, default_updated)
    except ArticleError:
        raise
    except Exception as exc:  # a bug or a library's surprise on odd input: still this file's problem
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise ArticleError(Problem(relpath, 1,
                                   f"could not be read ({type(exc).__name__}: {reason})")) from exc


def _parse_article(data: bytes, relpath: str, default_updated: str) -> Article:
    text = decode_source(data, relpath)
    meta, body, body_line, key_lines = split_front_matter(text, relpath)
    fields = _Fields(meta, key_lines, relpath)

    title = fields.text("title")
    if not title:
        first = next((line for line in body.split("\n") if line.strip()), "")
        h1 = _H1.match(first)
        if not h1:
            raise ArticleError(Problem(relpath, key_lines.get("title", 1),
                                       "missing title: add `title:` to the front matter or start "
                                       "the body with a `# Heading`"))
        title = inline_to_text(h1.group(1))

    article_id = fields.text("id") or article_id_for(relpath)
    if not is_valid_id(article_id):
        raise fields.fail("id", f"{article_id!r} is not a valid id ('/'-separated parts; no empty, "
                                "'.' or '..' parts, control characters or backslashes)")
    parts = relpath.split("/")
    questions = fields.text_list("questions")
    lang = fields.text("lang") or detect_lang(" ".join((title, *questions, body)))
    if lang not in LANGS:
        raise fields.fail("lang", f"must be one of {', '.join(LANGS)}, not {lang!r}")
    sections = tuple(split_sections(body, title, body_line))
    summary = fields.text("summary") or _default_summary(sections)
    unknown = tuple((key, key_lines.get(str(key), 1)) for key in meta if key not in KNOWN_KEYS)
    return Article(
        id=article_id,
        path=relpath,
        title=title,
        lang=lang,
        category=fields.text("category") or (parts[0] if len(parts) > 1 else DEFAULT_CATEGORY),
        tags=fields.text_list("tags"),
        questions=questions,
        summary=summary,
        related=fields.text_list("related"),
        visibility=fields.choice("visibility", VISIBILITIES, "public"),
        updated=fields.date("updated", default_updated),
        body=body,
        body_line=body_line,
        sections=sections,
        source_hash=hashlib.sha1(data).hexdigest(),
        unknown_keys=unknown,
        draft=fields.flag("draft"),
        translations=fields.text_list("translations"),
    )


def front_matter_tags(data: bytes, relpath: str) -> tuple[str, ...]:
    """Just the `tags:` of an article, () when it cannot be read; cheap, for dictionaries."""
    try:
        meta, _, _, key_lines = split_front_matter(decode_source(data, relpath), relpath)
        return _Fields(meta, key_lines, relpath).text_list("tags")
    except ArticleError:
        return ()


def _default_summary(sections: tuple[Section, ...]) -> str:
    text = next((s.text for s in sections if s.text), "")
    paragraph = text.split("\n\n")[0].replace("\n", " ").strip()
    if len(paragraph) <= SUMMARY_CHARS:
        return paragraph
    return paragraph[: SUMMARY_CHARS - 1].rstrip() + "…"
