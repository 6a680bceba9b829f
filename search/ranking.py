"""The search path: a query against one index version → ranked articles, answers and suggestions."""

from __future__ import annotations

import time

import numpy as np

from search.catalog import related
from search.highlight import snippet
from search.query import parse_query
from search.results import Answer, ArticleHit, SearchResults, article_url
from search.schema import (
    ARTICLE_FIELDS,
    CHARS_FIELD,
    CHARS_WEIGHT,
    GRAMS_FIELD,
    GRAMS_WEIGHT,
    LATIN_GRAMS_FIELD,
    LATIN_GRAMS_WEIGHT,
    PINYIN_FIELD,
    PINYIN_WEIGHT,
    UNIT_FIELDS,
)
from search.scoring import Extra, top
from search.spelling import _corrections, _replace_word

MAX_LIMIT = 50
MAX_OFFSET = 1000  # paging stops here (100 pages of 10)
MAX_ANSWERS = 3
UNIT_CANDIDATES = 40
# The article models' scores (0–1) join the word scores of the articles the words
# found, at these fractions of the best word score.
CLASSIFIER_WEIGHT = 0.3
MEANING_WEIGHT = 2.0
MIN_SHARED_CHARACTERS = 0.5  # of a query's characters, for articles only characters match


def search(state, text: str, limit: int = 10, offset: int = 0, lang: str | None = None,
           category: str | None = None, internal: bool = False) -> SearchResults:
    """Ranked articles (`limit` of them from `offset`), the best answer units and suggestions."""
    started = time.perf_counter()
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    parsed = parse_query(text, state.analyzer, state.synonyms)
    results = SearchResults(query=parsed.text, took_ms=0.0, total=0)
    corrections = _corrections(state, parsed, internal)
    # Article and unit fields are disjoint, so scoring one kind's fields
    # never returns the other kind.
    allowed = _allowed(state, lang, category, internal)
    scorer = state.scorers[internal]
    scores = scorer.score(parsed, ARTICLE_FIELDS, [
        Extra(GRAMS_FIELD, GRAMS_WEIGHT, parsed.grams),
        Extra(LATIN_GRAMS_FIELD, LATIN_GRAMS_WEIGHT, parsed.latin_grams),
        Extra(PINYIN_FIELD, PINYIN_WEIGHT, parsed.words),
        # Characters find paraphrases whose words differ (付不了款 → 付款失败), but
        # one common character is no match: alone, they must be half the query's.
        Extra(CHARS_FIELD, CHARS_WEIGHT, parsed.chars,
              min_shared=max(2, MIN_SHARED_CHARACTERS * len(parsed.chars)))])
    _rerank(state, parsed, scores, allowed)
    docnums, results.total = top(scores, allowed, offset + limit)
    hits = [(state.searcher.stored_fields(int(d))["data"], float(scores[d])) for d in docnums]
    article_scores = {record["id"]: score for record, score in hits}
    ranked_units = _rank_units(state, scorer, parsed, allowed, article_scores)
    best_unit = {article_id: unit for _, article_id, unit in reversed(ranked_units)}
    results.articles = [_article_hit(state, record, score, parsed, best_unit)
                        for record, score in hits[offset:]]
    results.answers = [_answer(state, parsed, *unit) for unit in ranked_units[:MAX_ANSWERS]]
    if hits:
        listed = {record["id"] for record, _ in hits}
        results.suggested = related(state, hits[0][0]["id"], internal, listed)
    # Provisional rule until it is calibrated (issue 10): any answer is "high".
    results.confidence = "high" if results.answers else "low" if results.articles else "none"
    if corrections:
        corrected = parsed.text
        for word, suggestion in corrections.items():
            corrected = _replace_word(corrected, word, suggestion)
        results.did_you_mean = corrected
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results


def _rank_units(state, scorer, parsed, allowed, article_scores: dict[str, float]) -> list[tuple]:
    """(score, article id, unit) of candidate units, best first, at most two per article.

    A unit's score mixes its own and its article's; single-unit articles have no
    unit documents, so their article score ranks their one answer.
    """
    scores = scorer.score(parsed, UNIT_FIELDS)
    docnums, _ = top(scores, allowed, UNIT_CANDIDATES)
    hits = [(state.searcher.stored_fields(int(d)), float(scores[d])) for d in docnums]
    top_unit = (hits[0][1] if hits else 0.0) or 1.0
    top_article = max(article_scores.values(), default=0.0) or 1.0
    candidates = [(0.6 * score / top_unit + 0.4 * article_scores.get(unit["article_id"], 0.0)
                   / top_article, unit["article_id"], unit["data"]) for unit, score in hits]
    candidates += [(score / top_article, article_id, state.catalog[article_id]["answer"])
                   for article_id, score in article_scores.items()
                   if "answer" in state.catalog.get(article_id, {})]
    candidates.sort(key=lambda c: -c[0])
    ranked, per_article = [], {}
    for candidate in candidates:
        article_id = candidate[1]
        if article_id in state.catalog and per_article.get(article_id, 0) < 2:
            per_article[article_id] = per_article.get(article_id, 0) + 1
            ranked.append(candidate)
    return ranked


def _answer(state, parsed, score: float, article_id: str, unit: dict) -> Answer:
    record = state.catalog[article_id]
    return Answer(
        article_id=article_id, title=record["title"], heading=unit["heading"], anchor=unit["anchor"],
        text=unit["text"], snippet=snippet(unit["text"], parsed.terms, state.analyzer),
        url=article_url(article_id, unit["anchor"]), score=round(score, 4),
        visibility=record["visibility"], draft=record.get("draft", False))


def _article_hit(state, record: dict, score: float, parsed, best_unit: dict[str, dict]) -> ArticleHit:
    unit = best_unit.get(record["id"])
    source = unit["text"] if unit else " ".join((record["summary"], *record["questions"]))
    return ArticleHit(
        id=record["id"], title=record["title"], summary=record["summary"],
        category=record["category"], lang=record["lang"], tags=record["tags"],
        url=article_url(record["id"]), snippet=snippet(source, parsed.terms, state.analyzer),
        score=round(score, 4), visibility=record["visibility"], draft=record.get("draft", False))


def _allowed(state, lang: str | None, category: str | None, internal: bool) -> np.ndarray:
    """Which documents a search may return; computed once per index version and filter."""
    key = (lang, category, internal)
    if key not in state.allowed and category and not any(r["category"] == category
                                                         for r in state.catalog.values()):
        # No such category: nothing is allowed, and nothing is cached (the cache would grow
        # with every distinct value a visitor types).
        return np.zeros(state.searcher.reader().doc_count_all(), dtype=bool)
    if key not in state.allowed:
        reader = state.searcher.reader()
        allowed = np.ones(reader.doc_count_all(), dtype=bool)
        if reader.has_deletions():
            allowed[:] = False
            allowed[list(reader.all_doc_ids())] = True  # deleted documents linger until a merge
        for field, value in (("visibility", None if internal else "public"), ("lang", lang),
                             ("category", category)):
            if value:
                allowed &= state.scorers[True].mask(field, value)
        state.allowed[key] = allowed
    return state.allowed[key]


def _rerank(state, parsed, scores: np.ndarray, allowed: np.ndarray) -> None:
    """Add the article models' scores to the articles the words found, in place.

    They re-rank and add nothing: gibberish has a most likely article too, and
    quoted and excluded words, filters and totals keep their meaning.
    """
    best = float(scores[allowed].max()) if allowed.any() else 0.0
    if best <= 0:
        return
    matched = (scores > 0) & allowed
    for weight, article_model in ((CLASSIFIER_WEIGHT, state.classifier), (MEANING_WEIGHT, state.meaning)):
        if article_model.model is None:
            continue
        indexed = article_model.docnums >= 0
        docnums = article_model.docnums[indexed]
        boost = weight * best * article_model.model.scores(parsed.text)[indexed]
        scores[docnums] += np.where(matched[docnums], boost, 0)
