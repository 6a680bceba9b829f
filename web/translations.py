"""Which articles are translations of one another, for the article page's language switch.

STAND-IN until contract 3 lands: then `get_article` returns `translations` itself, as a
list of {id, lang, title, url}, and `translations_of` only passes it on (its first
branch); the rest of this module can then go. Until then it derives them here:

- ids with the same root: `refund` ↔ `en/refund`, `refund-en`, `en-refund` (and `zh/`,
  `-zh`, `zh-` the other way round);
- ids listed under `translations:` in the article's front matter (list it in both
  files; contract 3 also links a one-sided list both ways).
"""

from __future__ import annotations

from web import current_index

_PREFIXES = ("en/", "zh/", "en-", "zh-")
_SUFFIXES = ("-en", "-zh")


def translations_of(article: dict, internal: bool) -> list[dict]:
    """[{id, lang, title, url}] of the article's versions in other languages."""
    declared = article.get("translations") or []
    if declared and isinstance(declared[0], dict):
        return declared  # contract 3: resolved by `search`
    found = current_index().lookup([*declared, *_same_root(article["id"])], internal=internal)
    versions = {r["id"]: r for r in found if r["lang"] != article["lang"]}
    return [{key: r[key] for key in ("id", "lang", "title", "url")} for r in versions.values()]


def _same_root(article_id: str) -> list[str]:
    root = article_id
    for prefix in _PREFIXES:
        root = root.removeprefix(prefix)
    for suffix in _SUFFIXES:
        root = root.removesuffix(suffix)
    candidates = (root, *(p + root for p in _PREFIXES), *(root + s for s in _SUFFIXES))
    return [i for i in candidates if i != article_id]
