"""The catalog of one index version: type-ahead, listings, categories, related articles, article pages."""

from __future__ import annotations

from search.analysis import fold_text
from search.query import clean_query
from search.records import ArticleRecord
from search.results import Link, article_url

MAX_SUGGESTED = 5


def suggest(state, prefix: str, limit: int = 8, internal: bool = False) -> list[dict]:
    """Type-ahead over titles and questions: prefix matches first, then substrings."""
    needle = fold_text(clean_query(prefix)).lower()
    limit = max(1, min(int(limit), 20))
    if not needle:
        return []
    ranked = []
    for folded, text, article_id, is_question in state.suggestions:
        position = folded.find(needle)
        if position < 0:
            continue
        if not state.catalog[article_id].visible_to(internal):
            continue
        word_start = position == 0 or not folded[position - 1].isalnum()
        ranked.append(((position != 0, not word_start, is_question, len(text)), text, article_id))
    ranked.sort()
    out, seen = [], set()
    for _, text, article_id in ranked:
        if text in seen:
            continue
        seen.add(text)
        out.append({"text": text, "article_id": article_id, "url": article_url(article_id)})
        if len(out) >= limit:
            break
    return out


def list_articles(state, limit: int = 50, offset: int = 0, category: str | None = None,
                  lang: str | None = None, internal: bool = False, sort: str = "title"
                  ) -> tuple[int, list[dict]]:
    """(total, page) of article records, sorted by title or by `updated` (newest first)."""
    records = [r for r in state.catalog.values()
               if r.visible_to(internal) and (not category or r.category == category)
               and (not lang or r.lang == lang)]
    if sort == "updated":
        records.sort(key=lambda r: (r.updated, r.id), reverse=True)
    else:
        records.sort(key=lambda r: (r.title.lower(), r.id))
    offset, limit = max(0, int(offset)), max(0, min(int(limit), 200))
    return len(records), [listing(r) for r in records[offset:offset + limit]]


def lookup(state, article_ids: list[str], internal: bool = False) -> list[dict]:
    """Listings of the given articles, in that order; unknown or hidden ids are left out."""
    records = [state.catalog[i] for i in article_ids if i in state.catalog]
    return [listing(r) for r in records if r.visible_to(internal)]


def categories(state, internal: bool = False) -> list[dict]:
    """Each category with its language and number of visible articles."""
    counts: dict[tuple[str, str], int] = {}
    for r in state.catalog.values():
        if r.visible_to(internal):
            counts[(r.category, r.lang)] = counts.get((r.category, r.lang), 0) + 1
    return [{"name": c, "lang": lang, "count": n} for (c, lang), n in sorted(counts.items())]


def related(state, article_id: str, internal: bool, exclude: set[str]) -> list[Link]:
    """Explicit `related:` first, then articles sharing the most tags (same language)."""
    record = state.catalog.get(article_id)
    if record is None:
        return []
    ids = [i for i in record.related if i in state.catalog]
    shared: dict[str, int] = {}
    for tag in record.tags:
        for other in state.by_tag.get(tag, ()):
            shared[other] = shared.get(other, 0) + 1
    same_lang = [state.catalog[i] for i in shared if state.catalog[i].lang == record.lang]
    ranked = sorted(same_lang, key=lambda r: (-shared[r.id], r.category != record.category, r.id))
    ids += [r.id for r in ranked]
    links, seen = [], set(exclude) | {article_id}
    for i in ids:
        other = state.catalog[i]
        if i in seen or not other.visible_to(internal):
            continue
        seen.add(i)
        links.append(Link(i, other.title, article_url(i), other.visibility))
        if len(links) >= MAX_SUGGESTED:
            break
    return links


def get_article(state, article_id: str, internal: bool = False) -> dict | None:
    """The full article (record, Markdown `source`, sections, related) or None if it is
    unknown or not visible. No HTML: `web.render` renders `source`."""
    record = state.catalog.get(article_id)
    if record is None or not record.visible_to(internal):
        return None
    content = state.searcher.document(uid=f"c:{article_id}")
    links = related(state, article_id, internal, set())
    return {
        **listing(record), "summary": record.summary, "questions": record.questions,
        "translations": record.translations,  # ids; web.translations resolves them
        "path": record.path, "hash": record.hash,
        "source": content["data"]["source"] if content else "",
        "sections": [{"anchor": s["anchor"], "heading": s["heading"], "level": s["level"]}
                     for s in record.sections],
        "related": [{"id": r.id, "title": r.title, "url": r.url, "visibility": r.visibility}
                    for r in links],
    }


def link_pages(state) -> list[dict]:
    """id, path, title, slug, language, declared translations, headings and anchors of every
    article, for resolving links (`kb.links.LinkMap`) and translations in web."""
    return [{"id": r.id, "path": r.path, "title": r.title, "slug": r.slug, "lang": r.lang,
             "translations": list(r.translations),
             "headings": [(s["anchor"], s["heading"]) for s in r.sections], "anchors": list(r.anchors)}
            for r in state.catalog.values()]


def health(state) -> dict:
    """Article count, when the index was written, the problems of the last run, and how many
    articles the meaning model has passages of (0: off, search.passages)."""
    passages = state.passages.model
    return {"status": "ok", "articles": len(state.catalog),
            "indexed_at": state.meta.get("indexed_at"), "errors": state.meta.get("problems", []),
            "meaning_articles": len(passages.article_ids) if passages is not None else 0}


def listing(record: ArticleRecord) -> dict:
    """The JSON of an article in listings."""
    return {"id": record.id, "title": record.title, "category": record.category, "lang": record.lang,
            "tags": record.tags, "updated": record.updated, "url": article_url(record.id),
            "visibility": record.visibility, "draft": record.draft}
