"""Which articles are translations of one another, for the article page's language switch.

Two articles in different languages are translations when

- their ids have the same root: `refund` ↔ `en/refund`, `refund-en`, `en-refund`,
  `zh-cn/guide/intro` ↔ `en/guide/intro` (a language prefix or suffix of the id or of
  its first folder is dropped), or
- either lists the other under `translations:` in its front matter (one side is
  enough: the link goes both ways, and through chains: a ↔ b ↔ c).

Groups are computed once per index version from `SearchIndex.link_pages()`.
"""

from __future__ import annotations

import re

from web import current_index, per_index_version

_LANG_PART = re.compile(r"^(?:zh|en|zh[-_](?:cn|hans|hant|tw|hk)|en[-_](?:us|gb))$", re.I)


def id_root(article_id: str) -> str:
    """The id without its language mark: `en/refund`, `refund-en`, `en-refund` → `refund`."""
    parts = article_id.split("/")
    if len(parts) > 1 and _LANG_PART.match(parts[0]):
        parts = parts[1:]
    elif len(parts) > 2 and _LANG_PART.match(parts[1]):  # i18n/en/…, docs/zh/…
        parts = [parts[0], *parts[2:]]
    last = re.sub(r"(?i)[-_.](zh|en|zh[-_]cn)$", "", parts[-1])
    last = re.sub(r"(?i)^(zh|en)[-_]", "", last)
    return "/".join([*parts[:-1], last or parts[-1]])


def _groups(index) -> dict[str, set[str]]:
    """Article id → the ids of its group of translations (itself included)."""
    pages = index.link_pages()
    known = {p["id"] for p in pages}
    parent = {p["id"]: p["id"] for p in pages}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    by_root: dict[str, str] = {}
    for page in pages:
        root = id_root(page["id"])
        if root in by_root:
            union(page["id"], by_root[root])
        else:
            by_root[root] = page["id"]
        for other in page.get("translations") or []:
            if other in known:
                union(page["id"], other)
    groups: dict[str, set[str]] = {}
    for page_id in parent:
        groups.setdefault(find(page_id), set()).add(page_id)
    return {page_id: groups[find(page_id)] for page_id in parent}


def translations_of(article: dict, internal: bool) -> list[dict]:
    """[{id, lang, title, url}] of the article's versions in other languages."""
    index = current_index()
    group = per_index_version("translations", index, _groups).get(article["id"], set())
    found = index.lookup(sorted(group - {article["id"]}), internal=internal)
    versions = {r["lang"]: r for r in found if r["lang"] != article["lang"]}  # one per language
    return [{key: r[key] for key in ("id", "lang", "title", "url")} for r in versions.values()]
