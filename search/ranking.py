"""The search path: a query against one index version → ranked articles, answers and suggestions.

How articles, the answer card and the confidence are decided is `search.evidence`
(ordered evidence: exact words first, fuzzy evidence within bounds); every weight
and rule comes from the `RankingConfig` passed in. This module turns that into the
`SearchResults` the web layer shows.
"""

from __future__ import annotations

import re
import time
import weakref
from dataclasses import dataclass

import numpy as np

from search import answer_types, bridge, evidence
from search.analysis import fold_text
from search.catalog import related
from search.config import RankingConfig
from search.derived import SCORED_FIELDS
from search.highlight import snippet
from search.query import ParsedQuery, add_found_parts, add_joined_words, parse_query
from search.records import Unit
from search.results import Answer, ArticleHit, SearchResults, article_url
from search.schema import CHARS_FIELD, GRAMS_FIELD, LATIN_GRAMS_FIELD, PINYIN_FIELD, VALUES_FIELD
from search.scoring import Bm25Scorer, Extra
from search.spelling import _corrections, _replace_word

MAX_LIMIT = 50
MAX_OFFSET = 1000  # paging stops here (100 pages of 10)
DEFAULT_CONFIG = RankingConfig()


@dataclass
class _Derived:
    """What ranking derives once per index version (and configuration): which documents are
    articles and units, the article of each document, which articles list questions."""

    docs: evidence.DocMap
    ids: dict[int, str]  # article document → article id
    # per document: the rank of its article's id among all ids, which orders equal scores — document
    # numbers follow the order a build happened to write articles in, ids are the editors'
    order: np.ndarray
    lists_questions: np.ndarray
    scorers: dict[bool, Bm25Scorer]
    phrasings: dict[str, list[int]]  # a title or listed question, normalised → its article documents
    headings: dict[str, list[int]]  # a section's heading, normalised → the article documents holding it
    values: dict[str, np.ndarray]  # kind of value → which unit documents state one
    model_rows: dict[str, np.ndarray]  # phrasing model → per document, the row of its article (-1: none)


_derived: dict[int, dict] = {}  # id of an index version → BM25 key → _Derived; dropped with the version


def _derive(state, config: RankingConfig) -> _Derived:
    if id(state) not in _derived:
        _derived[id(state)] = {}
        weakref.finalize(state, _derived.pop, id(state), None)
    by_config = _derived[id(state)]
    key = _bm25_key(config)
    if key not in by_config:
        docs = evidence.DocMap.stored(state.documents, state.docnums, state.scorers[True].lengths["body"])
        ids = docs.article_ids
        order = np.zeros(len(docs.articles), dtype=np.int64)
        order[sorted(ids, key=ids.__getitem__)] = np.arange(len(ids))
        lists_questions = np.zeros(len(docs.articles), dtype=bool)
        phrasings: dict[str, list[int]] = {}
        headings: dict[str, list[int]] = {}
        for docnum, article_id in ids.items():
            record = state.catalog.get(article_id)
            if record is None:
                continue
            lists_questions[docnum] = bool(record["questions"])
            for text in (record["title"], *record["questions"]):
                phrasings.setdefault(_normal(text), []).append(docnum)
            for heading in dict.fromkeys(_normal(section["heading"]) for section in record["sections"]):
                if heading:
                    headings.setdefault(heading, []).append(docnum)
        scorers = state.scorers
        if key != _bm25_key(DEFAULT_CONFIG):
            # Other BM25 statistics than the version's: scorers of this configuration's own.
            b = {name: config.b(name) for name in SCORED_FIELDS}
            scorers = {internal: Bm25Scorer(scorer.reader, SCORED_FIELDS, b, config.k1,
                                            population=scorer.population, lengths=scorer.lengths,
                                            stored=scorer.stored)
                       for internal, scorer in state.scorers.items()}
        values = {kind: state.scorers[True].mask(VALUES_FIELD, answer_types.term(kind))
                  for kind in answer_types.KINDS}
        model_rows = {name: _rows(getattr(state, name).docnums, len(docs.articles))
                      for name in ("classifier", "meaning", "passages")}
        by_config[key] = _Derived(docs, ids, order, lists_questions, scorers, phrasings, headings, values,
                                  model_rows)
    return by_config[key]


def _rows(docnums: np.ndarray, size: int) -> np.ndarray:
    """Per document: the row of the model article placed there (`docnums`: each row's document, -1:
    none), or -1."""
    rows = np.full(size, -1, dtype=np.int64)
    placed = np.flatnonzero(docnums >= 0)
    rows[docnums[placed]] = placed
    return rows


def _term_weights(parsed: ParsedQuery, weights: np.ndarray) -> dict[str, float]:
    """Each term of the question with its concept's weight (its rarity), for snippets."""
    found: dict[str, float] = {}
    for concept, weight in zip(parsed.concepts, weights, strict=False):
        for term in concept.terms:
            found[term] = max(found.get(term, 0.0), float(weight))
    return found


def _normal(text: str) -> str:
    """A phrasing compared for exactness: folded, lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", fold_text(text).lower())


def _bm25_key(config: RankingConfig) -> tuple:
    return tuple(sorted(config.field_b.items())), config.b_default, config.k1


def search(state, text: str, limit: int = 10, offset: int = 0, lang: str | None = None,
           category: str | None = None, internal: bool = False, config: RankingConfig | None = None
           ) -> SearchResults:
    """Ranked articles (`limit` of them from `offset`), the best answer units and suggestions."""
    started = time.perf_counter()
    config = config or DEFAULT_CONFIG
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    parsed, corrected, derived, ranked = ranked_query(state, text, lang, category, internal, config)
    results = SearchResults(query=parsed.text, took_ms=0.0, total=0)
    docnums, results.total = ranked.top(offset + limit, derived.order)
    first = docnums if offset == 0 else ranked.top(config.card_articles, derived.order)[0]
    first = first[:max(config.max_answers, config.card_articles)]
    best = evidence.best_units(ranked, derived.docs, np.concatenate([first, docnums[offset:]]),
                               lambda d: "answer" in state.catalog[derived.ids[d]], config)
    cards = evidence.choose_cards([card for d in first if (card := best[int(d)]) is not None], config)
    results.confidence = evidence.confidence(ranked, cards[0] if cards else None, len(docnums) > 0, config)
    terms, snippets = parsed.terms, {}
    weights = _term_weights(parsed, ranked.units.weights)

    def snippet_of(text: str, prose: str | None = None) -> str:  # a card's unit is its article's too
        if (text, prose) not in snippets:
            snippets[(text, prose)] = snippet(text, terms, state.analyzer, prose=prose, weights=weights)
        return snippets[(text, prose)]

    results.answers = [_answer(state, derived, snippet_of, card) for card in cards]
    results.articles = [_article_hit(state, derived, snippet_of, int(d), ranked.score(int(d)), best[int(d)])
                        for d in docnums[offset:]]
    if len(docnums):
        listed = {derived.ids[int(d)] for d in docnums}
        results.suggested = related(state, derived.ids[int(docnums[0])], internal, listed)
    if corrected != parsed.text:
        results.did_you_mean = corrected
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results


def ranked_query(state, text: str, lang: str | None, category: str | None, internal: bool,
                 config: RankingConfig) -> tuple[ParsedQuery, str, _Derived, evidence.Ranking]:
    """The question `text` parsed (typos corrected; the vocabulary bridge's alternatives and the
    indexed words inside a glued unknown word added) and ranked over what the search may return:
    (parsed query, its text with each misspelt word corrected — did you mean —, derived state,
    ranking)."""
    parsed = parse_query(text, state.analyzer, state.synonyms, config.synonym_weight)
    corrected = _corrected(parsed.text, _corrections(state, parsed, internal, config.typo_weight))
    bridge.expand(state, parsed, internal, config)
    add_found_parts(parsed, state.scorers[internal].holding, config.found_parts_weight)
    if config.joined_words:
        add_joined_words(parsed, state.analyzer, state.scorers[internal].holding)
    derived = _derive(state, config)
    ranked = rank(state, derived, parsed, _allowed(state, lang, category, internal), internal, config,
                  corrected)
    return parsed, corrected, derived, ranked


def _corrected(text: str, corrections: dict[str, str]) -> str:
    """`text` with each misspelt word replaced by its correction."""
    for word, suggestion in corrections.items():
        text = _replace_word(text, word, suggestion)
    return text


def rank(state, derived: _Derived, parsed, allowed: np.ndarray, internal: bool, config: RankingConfig,
         meaning_text: str, include=()) -> evidence.Ranking:
    """The ranking of `parsed` over the `allowed` documents, exactness and cut-off applied. The
    ranking covers the documents the query's postings touch (and `include`): no other can score.
    The meaning model, where the index has it, reads `meaning_text` (the question with its typos
    corrected)."""
    extras = _extras(config, parsed.grams, parsed.latin_grams, parsed.words, parsed.chars)
    phrasing_extras = _extras(config, parsed.all_grams, parsed.all_latin_grams, parsed.words,
                              parsed.all_chars)
    models = [evidence.ArticleModel(weight, derived.model_rows[name], model.model.scores,
                                    getattr(model.model, "scores_of", None))
              for name, weight, model in (("classifier", config.classifier_weight, state.classifier),
                                          ("meaning", config.meaning_weight, state.meaning))
              if weight and model.model is not None]
    # Exactness: a question worded exactly as an article's title or one of its questions, or as the
    # heading of one of its sections (an FAQ page's 退款失败怎么办？: the section answers it).
    asked = _normal(parsed.text)
    phrased = [d for d in derived.phrasings.get(asked, []) if allowed[d]]
    named = [d for d in derived.headings.get(asked, []) if allowed[d] and d not in phrased]
    exact = phrased + named if config.exact_boost else []
    ranked = evidence.rank(derived.scorers[internal], derived.docs, parsed, allowed, config, extras, models,
                           derived.lists_questions, phrasing_extras, derived.values,
                           include=np.concatenate([np.asarray(exact, dtype=np.int64),
                                                   np.asarray(include, dtype=np.int64)]))
    if exact:
        ranked.scores[ranked.space.positions(np.array(exact))] += config.exact_boost * float(
            ranked.scores[ranked.allowed].max(initial=0.0) or 1.0)
    # The card: a question worded as an article's listed question is answered by its overview.
    ranked.units.phrased = np.array(phrased, dtype=np.int64)
    evidence.cut_off(ranked, config)
    model = state.passages.model
    if model is not None:
        rows = derived.model_rows["passages"]
        if config.passage_weight:
            evidence.fuse_meaning(ranked, evidence.ArticleModel(
                config.passage_weight, rows, model.scores, model.scores_of), meaning_text,
                derived.order, exact, config)

        def unit_meaning(article: int, count: int) -> np.ndarray | None:
            # Only an article whose passages were embedded from its present text (an edited one's
            # are embedded after its edit is live) has a passage per unit in page order.
            row = int(rows[article])
            if row < 0 or model.hashes[row] != state.catalog[derived.ids[article]]["hash"]:
                return None
            return model.unit_scores(meaning_text, row, count)

        ranked.units.meaning = unit_meaning
    return ranked


def _extras(config: RankingConfig, grams: list[str], latin_grams: list[str], words: list[str],
            chars: list[str]) -> list[Extra]:
    return [
        Extra(GRAMS_FIELD, config.grams_weight, grams),
        Extra(LATIN_GRAMS_FIELD, config.latin_grams_weight, latin_grams),
        Extra(PINYIN_FIELD, config.pinyin_weight, words),
        # Characters find paraphrases whose words differ (付不了款 → 付款失败), but
        # one common character is no match: alone, they must be half the query's.
        Extra(CHARS_FIELD, config.chars_weight, chars,
              min_shared=max(2, config.min_shared_characters * len(chars)))]


def _unit(state, derived: _Derived, card: evidence.Card) -> Unit:
    if card.unit >= 0:
        return Unit.from_stored(state.searcher.stored_fields(card.unit)["data"])
    return state.catalog[derived.ids[card.article]].answer


def _answer(state, derived: _Derived, snippet_of, card: evidence.Card) -> Answer:
    record = state.catalog[derived.ids[card.article]]
    unit = _unit(state, derived, card)
    return Answer(
        article_id=record["id"], title=record["title"], heading=unit.heading, anchor=unit.anchor,
        text=unit.text, snippet=snippet_of(unit.text, unit.prose),
        url=article_url(record["id"], unit.anchor), score=round(card.coverage, 4),
        visibility=record["visibility"], draft=record.get("draft", False),
        markdown=unit.markdown or unit.text)


def _article_hit(state, derived: _Derived, snippet_of, docnum: int, score: float,
                 card: evidence.Card | None) -> ArticleHit:
    record = state.catalog[derived.ids[docnum]]
    # The snippet comes from the article's best unit (its prose); else its summary.
    if card is not None and (card.score > 0 or card.unit < 0):
        unit = _unit(state, derived, card)
        source, prose = unit.text, unit.prose
    else:
        source, prose = record["summary"] or " ".join(record["questions"]), None
    return ArticleHit(
        id=record["id"], title=record["title"], summary=record["summary"],
        category=record["category"], lang=record["lang"], tags=record["tags"],
        url=article_url(record["id"]), snippet=snippet_of(source, prose),
        score=round(score, 4), visibility=record["visibility"], draft=record.get("draft", False))


def prepare(state, config: RankingConfig | None = None) -> None:
    """Derive what searches of a new index version need before it is swapped in (the facade
    passes this to `search.version.Versions`), so that no search pays for it: on 9,000 articles
    it is about a second, which every search arriving at a fresh version used to wait for."""
    config = config or DEFAULT_CONFIG
    _derive(state, config)
    languages = {record["lang"] for record in state.catalog.values()}
    for internal in (False, True):
        for lang in (None, *sorted(languages)):
            _allowed(state, lang, None, internal)


def _allowed(state, lang: str | None, category: str | None, internal: bool) -> np.ndarray:
    """Which documents a search may return; computed once per index version and filter."""
    key = (lang, category, internal)
    if key not in state.allowed and category and not any(r["category"] == category
                                                         for r in state.catalog.values()):
        # No such category: nothing is allowed, and nothing is cached (the cache would grow
        # with every distinct value a visitor types).
        return np.zeros(state.searcher.reader().doc_count_all(), dtype=bool)
    if key not in state.allowed:
        # From the records and the document map: each document is its article's.
        ok = np.zeros(len(state.documents["parent"]), dtype=bool)
        for article_id, number in state.docnums.items():
            record = state.catalog[article_id]
            ok[number] = ((internal or record.searched_visibility == "public")
                          and (not lang or record.lang == lang)
                          and (not category or record.category == category))
        parent = np.asarray(state.documents["parent"])
        state.allowed[key] = (parent >= 0) & ok[np.maximum(parent, 0)]
    return state.allowed[key]
