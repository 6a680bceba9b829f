"""`SearchIndex`: everything the web layer asks of an index, answered as plain data.

One object per process. It follows the index on disk: at most every
`REFRESH_SECONDS` it checks whether another process committed or published a new
generation and reopens, so every process sees a change within a second or two.
Whoosh searchers are not shared between threads here: one lock serializes use.

Internal articles exist only for callers that pass `internal=True`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import index as whoosh_index

from search import store
from search.analysis import Analyzer, fold_text
from search.classifier import train_question_classifier, training_phrasings
from search.embeddings import embed_phrasings, embedding_phrasings
from search.highlight import snippet
from search.phrasings import fingerprint
from search.query import clean_query, parse_query, synonym_map
from search.results import Answer, ArticleHit, Link, SearchResults, article_url
from search.schema import (
    ARTICLE,
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
from search.scoring import Bm25Scorer, Extra, top

REFRESH_SECONDS = 0.5
MAX_LIMIT = 50
MAX_OFFSET = 1000  # paging stops here (100 pages of 10)
MAX_ANSWERS = 3
MAX_SUGGESTED = 5
UNIT_CANDIDATES = 40
TYPO_WEIGHT = 0.7  # a spelling correction counts a little less than the word as typed
# The article models' scores (0–1) join the word scores of the articles the words
# found, at these fractions of the best word score.
CLASSIFIER_WEIGHT = 0.3
MEANING_WEIGHT = 2.0
MIN_SHARED_CHARACTERS = 0.5  # of a query's characters, for articles only characters match
# BM25 length normalization per field (default 0.75): a long title or question
# that only partly matches is penalized fully; headings barely.
FIELD_B = {"title": 1.0, "questions": 1.0, "latin_grams": 1.0, "u_heading": 0.3}
SCORED_FIELDS = [*ARTICLE_FIELDS, GRAMS_FIELD, CHARS_FIELD, LATIN_GRAMS_FIELD, PINYIN_FIELD, *UNIT_FIELDS]


def is_public(record: dict) -> bool:
    """Whether everyone may see the article: public and not a draft (the searched `visibility`
    field of a draft is "draft", so searches follow the same rule)."""
    return record["visibility"] == "public" and not record.get("draft", False)


class IndexMissing(Exception):
    """No index has been built in the index folder yet."""


@dataclass
class _ArticleModel:
    """A model scoring its articles for a query (`article_ids`, `scores(text)`), in one index version."""

    model: object | None  # a QuestionClassifier or PhrasingVectors; None when there is nothing to learn
    key: str  # fingerprint of the phrasings it was built from
    docnums: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def placed(self, searcher) -> _ArticleModel:
        """The same model with the article document of each of its articles (-1: no longer indexed).

        Document numbers change with every commit; the model does not.
        """
        ids = self.model.article_ids if self.model is not None else []
        numbers = (searcher.document_number(uid=f"a:{article_id}") for article_id in ids)
        docnums = np.fromiter((-1 if n is None else n for n in numbers), dtype=np.int64, count=len(ids))
        return replace(self, docnums=docnums)


@dataclass
class _State:
    """One open generation of the index and what is derived from it."""

    generation: str
    ix: object
    searcher: object
    analyzer: Analyzer
    synonyms: dict
    lexicon_key: list
    meta: dict
    catalog: dict[str, dict]  # article id → stored record
    by_tag: dict[str, list[str]]  # tag → ids of articles carrying it
    spelling: dict[bool, dict[str, int]]  # internal? → Latin words of titles, questions, headings → df
    suggestions: list[tuple[str, str, str, bool]]  # (folded text, text, article id, is a question)
    scorers: dict[bool, Bm25Scorer]  # internal? → scorer; the public one counts public documents only
    classifier: _ArticleModel  # the question classifier
    meaning: _ArticleModel  # the phrasing embeddings
    allowed: dict  # (lang, category, internal) → boolean array of searchable docnums, cached


class SearchIndex:
    """Searches, suggestions, listings and article pages over one index folder."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.RLock()
        self._state: _State | None = None
        self._checked = 0.0
        self._training: str | None = None  # fingerprint of the phrasings being learned in the background

    # -- keeping up with the index on disk ------------------------------------------------
    def _current(self) -> _State:
        now = time.monotonic()
        if self._state is not None and now - self._checked < REFRESH_SECONDS:
            return self._state
        self._checked = now
        generation = store.current_generation(self.index_dir)
        if generation is None:
            raise IndexMissing(f"no index in {self.index_dir}; run `kb index`")
        state = self._state
        if state is None or state.generation != generation.name:
            ix = whoosh_index.open_dir(str(generation))
            self._state = self._load(generation.name, ix, ix.searcher(), state)
        elif not state.searcher.up_to_date():
            self._state = self._load(state.generation, state.ix, state.searcher.refresh(), state)
        return self._state

    def _load(self, generation: str, ix, searcher, previous: _State | None) -> _State:
        meta = searcher.document(uid="meta")["data"]
        lexicon = meta.get("lexicon", {})
        key = sorted(tuple(w) for w in lexicon.get("words", []))
        if previous is not None and previous.lexicon_key == key:
            analyzer = previous.analyzer
        else:
            analyzer = Analyzer([tuple(w) for w in lexicon.get("words", [])])
        catalog = {fields["article_id"]: fields["data"] for fields in searcher.documents(kind=ARTICLE)}
        suggestions = sorted(
            {(fold_text(text).lower(), text, record["id"], n > 0) for record in catalog.values()
             for n, text in enumerate((record["title"], *record["questions"]))})
        by_tag: dict[str, list[str]] = {}
        for record in catalog.values():
            for tag in record["tags"]:
                by_tag.setdefault(tag, []).append(record["id"])
        return _State(generation=generation, ix=ix, searcher=searcher, analyzer=analyzer,
                      synonyms=synonym_map(lexicon.get("synonyms", []), analyzer), lexicon_key=key, meta=meta,
                      catalog=catalog, by_tag=by_tag, spelling=_spelling(searcher.reader()),
                      suggestions=suggestions, scorers=_scorers(searcher.reader()),
                      classifier=self._question_classifier(catalog, analyzer, previous).placed(searcher),
                      meaning=_phrasing_vectors(catalog, previous).placed(searcher), allowed={})

    def _question_classifier(self, catalog: dict, analyzer: Analyzer, previous: _State | None
                             ) -> _ArticleModel:
        """The question classifier to search the catalog with.

        The first index opened waits for its classifier. Later, when titles or
        questions change, searches go on with the last classifier (new articles
        just get no help from it) while the new one learns in a thread: training
        takes seconds, and an editor's save must not stall searches.
        """
        pairs = training_phrasings(_public(catalog))
        key = fingerprint(pairs)
        if previous is None or previous.analyzer is not analyzer:
            return _ArticleModel(train_question_classifier(pairs, analyzer), key)
        if previous.classifier.key != key and self._training != key:
            self._training = key
            threading.Thread(target=self._train_in_background, args=(pairs, analyzer, key), daemon=True,
                             name="kb-classifier").start()
        return previous.classifier

    def _train_in_background(self, pairs: list[tuple[str, str]], analyzer: Analyzer, key: str) -> None:
        try:
            classifier = _ArticleModel(train_question_classifier(pairs, analyzer), key)
        finally:  # a failed training is tried again at the next change
            with self._lock:
                if self._training == key:
                    self._training = None
        with self._lock:
            state = self._state
            # Only if the index still holds these phrasings: a later change has its own thread.
            if (state is not None and state.analyzer is analyzer
                    and fingerprint(training_phrasings(_public(state.catalog))) == key):
                self._state = replace(state, classifier=classifier.placed(state.searcher))

    def close(self) -> None:
        with self._lock:
            if self._state is not None:
                self._state.searcher.close()
                self._state = None

    # -- search ------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 10, offset: int = 0, lang: str | None = None,
               category: str | None = None, internal: bool = False) -> SearchResults:
        """Ranked articles (`limit` of them from `offset`), the best answer units and suggestions."""
        started = time.perf_counter()
        limit = max(1, min(int(limit), MAX_LIMIT))
        offset = max(0, min(int(offset), MAX_OFFSET))
        with self._lock:
            state = self._current()
            parsed = parse_query(text, state.analyzer, state.synonyms)
            results = SearchResults(query=parsed.text, took_ms=0.0, total=0)
            corrections = self._corrections(state, parsed, internal)
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
            ranked_units = self._rank_units(state, scorer, parsed, allowed, article_scores)
            best_unit = {article_id: unit for _, article_id, unit in reversed(ranked_units)}
            results.articles = [self._article_hit(state, record, score, parsed, best_unit)
                                for record, score in hits[offset:]]
            results.answers = [self._answer(state, parsed, *unit) for unit in ranked_units[:MAX_ANSWERS]]
            if hits:
                listed = {record["id"] for record, _ in hits}
                results.suggested = self._related(state, hits[0][0]["id"], internal, listed)
            # Provisional rule until it is calibrated (issue 10): any answer is "high".
            results.confidence = "high" if results.answers else "low" if results.articles else "none"
            if corrections:
                corrected = parsed.text
                for word, suggestion in corrections.items():
                    corrected = _replace_word(corrected, word, suggestion)
                results.did_you_mean = corrected
        results.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return results

    def _rank_units(self, state: _State, scorer: Bm25Scorer, parsed, allowed, article_scores: dict[str, float]
                    ) -> list[tuple]:
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

    def _answer(self, state: _State, parsed, score: float, article_id: str, unit: dict) -> Answer:
        record = state.catalog[article_id]
        return Answer(
            article_id=article_id, title=record["title"], heading=unit["heading"], anchor=unit["anchor"],
            text=unit["text"], snippet=snippet(unit["text"], parsed.terms, state.analyzer),
            url=article_url(article_id, unit["anchor"]), score=round(score, 4),
            visibility=record["visibility"], draft=record.get("draft", False))

    def _article_hit(self, state: _State, record: dict, score: float, parsed, best_unit: dict[str, dict]
                     ) -> ArticleHit:
        unit = best_unit.get(record["id"])
        source = unit["text"] if unit else " ".join((record["summary"], *record["questions"]))
        return ArticleHit(
            id=record["id"], title=record["title"], summary=record["summary"],
            category=record["category"], lang=record["lang"], tags=record["tags"],
            url=article_url(record["id"]), snippet=snippet(source, parsed.terms, state.analyzer),
            score=round(score, 4), visibility=record["visibility"], draft=record.get("draft", False))

    def _corrections(self, state: _State, parsed, internal: bool) -> dict[str, str]:
        """Misspelled Latin words of the query → the likeliest word of the knowledge base.

        Each correction also joins the query as a weaker alternative of the word,
        so `refnd` finds refunds while `did_you_mean` offers the corrected query.
        The public's vocabulary holds only words of articles the public may see.
        """
        vocabulary = state.spelling[internal]
        corrections = {}
        for word in state.analyzer.words(parsed.text):
            if word not in vocabulary:
                suggestion = _closest_word(word, vocabulary)
                if suggestion:
                    corrections[word] = suggestion
        by_term = {c.alternatives[0][0]: c for c in parsed.concepts}
        for word, suggestion in corrections.items():
            concept = by_term.get(tuple(state.analyzer.terms(word)))
            alternative = tuple(state.analyzer.terms(suggestion))
            if concept is not None and alternative:
                concept.alternatives.append((alternative, TYPO_WEIGHT))
        return corrections

    # -- related articles ----------------------------------------------------------------------------
    def _related(self, state: _State, article_id: str, internal: bool, exclude: set[str]) -> list[Link]:
        """Explicit `related:` first, then articles sharing the most tags (same language)."""
        record = state.catalog.get(article_id)
        if record is None:
            return []
        ids = [i for i in record["related"] if i in state.catalog]
        shared: dict[str, int] = {}
        for tag in record["tags"]:
            for other in state.by_tag.get(tag, ()):
                shared[other] = shared.get(other, 0) + 1
        same_lang = [state.catalog[i] for i in shared if state.catalog[i]["lang"] == record["lang"]]
        ranked = sorted(same_lang, key=lambda r: (-shared[r["id"]], r["category"] != record["category"],
                                                  r["id"]))
        ids += [r["id"] for r in ranked]
        links, seen = [], set(exclude) | {article_id}
        for i in ids:
            other = state.catalog[i]
            if i in seen or not (internal or is_public(other)):
                continue
            seen.add(i)
            links.append(Link(i, other["title"], article_url(i), other["visibility"]))
            if len(links) >= MAX_SUGGESTED:
                break
        return links

    # -- suggest, list, article, health -------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8, internal: bool = False) -> list[dict]:
        """Type-ahead over titles and questions: prefix matches first, then substrings."""
        needle = fold_text(clean_query(prefix)).lower()
        limit = max(1, min(int(limit), 20))
        if not needle:
            return []
        with self._lock:
            state = self._current()
            ranked = []
            for folded, text, article_id, is_question in state.suggestions:
                position = folded.find(needle)
                if position < 0:
                    continue
                record = state.catalog[article_id]
                if not (internal or is_public(record)):
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

    def list_articles(self, limit: int = 50, offset: int = 0, category: str | None = None,
                      lang: str | None = None, internal: bool = False, sort: str = "title"
                      ) -> tuple[int, list[dict]]:
        """(total, page) of article records, sorted by title or by `updated` (newest first)."""
        with self._lock:
            records = [r for r in self._current().catalog.values()
                       if (internal or is_public(r))
                       and (not category or r["category"] == category) and (not lang or r["lang"] == lang)]
        if sort == "updated":
            records.sort(key=lambda r: (r["updated"], r["id"]), reverse=True)
        else:
            records.sort(key=lambda r: (r["title"].lower(), r["id"]))
        offset, limit = max(0, int(offset)), max(0, min(int(limit), 200))
        return len(records), [_listing(r) for r in records[offset:offset + limit]]

    def lookup(self, article_ids: list[str], internal: bool = False) -> list[dict]:
        """Listings of the given articles, in that order; unknown or hidden ids are left out."""
        with self._lock:
            catalog = self._current().catalog
            records = [catalog[i] for i in article_ids if i in catalog]
        return [_listing(r) for r in records if internal or is_public(r)]

    def categories(self, internal: bool = False) -> list[dict]:
        """Each category with its language and number of visible articles."""
        counts: dict[tuple[str, str], int] = {}
        with self._lock:
            for r in self._current().catalog.values():
                if internal or is_public(r):
                    counts[(r["category"], r["lang"])] = counts.get((r["category"], r["lang"]), 0) + 1
        return [{"name": c, "lang": lang, "count": n} for (c, lang), n in sorted(counts.items())]

    def get_article(self, article_id: str, internal: bool = False) -> dict | None:
        """The full article (record, Markdown `source`, sections, related) or None if it is
        unknown or not visible. No HTML: `web.render` renders `source`."""
        with self._lock:
            state = self._current()
            record = state.catalog.get(article_id)
            if record is None or not (internal or is_public(record)):
                return None
            content = state.searcher.document(uid=f"c:{article_id}")
            related = self._related(state, article_id, internal, set())
        return {
            **_listing(record), "summary": record["summary"], "questions": record["questions"],
            "translations": record.get("translations", []),  # ids; stand-in until contract 3
            "path": record["path"], "hash": record["hash"],
            "source": content["data"]["source"] if content else "",
            "sections": [{"anchor": s["anchor"], "heading": s["heading"], "level": s["level"]}
                         for s in record["sections"]],
            "related": [{"id": r.id, "title": r.title, "url": r.url, "visibility": r.visibility}
                        for r in related],
        }

    def link_pages(self) -> list[dict]:
        """id, path, title, slug, language, declared translations, headings and anchors of every
        article, for resolving links (`kb.links.LinkMap`) and translations in web."""
        with self._lock:
            records = list(self._current().catalog.values())
        return [{"id": r["id"], "path": r["path"], "title": r["title"], "slug": r.get("slug", ""),
                 "lang": r["lang"], "translations": r.get("translations", []),
                 "headings": [(s["anchor"], s["heading"]) for s in r["sections"]],
                 "anchors": r.get("anchors", [])} for r in records]

    def health(self) -> dict:
        """Article count, when the index was written, and the problems of the last run."""
        with self._lock:
            state = self._current()
            return {"status": "ok", "articles": len(state.catalog),
                    "indexed_at": state.meta.get("indexed_at"), "errors": state.meta.get("problems", [])}


def _allowed(state: _State, lang: str | None, category: str | None, internal: bool) -> np.ndarray:
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


def _phrasing_vectors(catalog: dict, previous: _State | None) -> _ArticleModel:
    """The embedded phrasings of the catalog; the previous ones if the phrasings are unchanged."""
    pairs = embedding_phrasings(catalog)
    key = fingerprint(pairs)
    if previous is not None and previous.meaning.key == key:
        return previous.meaning
    return _ArticleModel(embed_phrasings(pairs), key)


def _rerank(state: _State, parsed, scores: np.ndarray, allowed: np.ndarray) -> None:
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


def _closest_word(word: str, vocabulary: dict[str, int]) -> str | None:
    """The most frequent vocabulary word within edit distance 1 (short words) or 2."""
    limit = 1 if len(word) <= 4 else 2
    matches = process.extract(word, vocabulary.keys(), scorer=Levenshtein.distance, score_cutoff=limit,
                              limit=10)
    if not matches:
        return None
    best = min(distance for _, distance, _ in matches)
    return max((m for m, d, _ in matches if d == best), key=vocabulary.__getitem__)


def _public(catalog: dict[str, dict]) -> dict[str, dict]:
    return {article_id: record for article_id, record in catalog.items() if is_public(record)}


def _hidden(reader) -> np.ndarray:
    """By docnum: documents of articles the public may not see (internal, drafts)."""
    hidden = np.zeros(reader.doc_count_all(), dtype=bool)
    for value in ("internal", "draft"):
        if ("visibility", value) in reader:
            hidden[list(reader.postings("visibility", value).all_ids())] = True
    return hidden


def _scorers(reader) -> dict[bool, Bm25Scorer]:
    """The agents' scorer counts every document; the public's only what the public may see, so
    adding an internal article changes no public score."""
    agents = Bm25Scorer(reader, SCORED_FIELDS, FIELD_B)
    hidden = _hidden(reader)
    if not hidden.any():
        return {True: agents, False: agents}
    return {True: agents, False: Bm25Scorer(reader, SCORED_FIELDS, FIELD_B, population=~hidden,
                                            lengths=agents.lengths)}


def _spelling(reader) -> dict[bool, dict[str, int]]:
    """Spelling vocabularies with document frequencies: every word for agents, the words of
    public articles for the public (internal words never leak through did-you-mean)."""
    hidden = _hidden(reader)
    agents, public = {}, {}
    for raw in reader.lexicon("spell"):
        word = raw.decode("utf-8")
        ids = list(reader.postings("spell", word).all_ids())
        agents[word] = len(ids)
        shown = sum(1 for docnum in ids if not hidden[docnum])
        if shown:
            public[word] = shown
    return {True: agents, False: public}


def _listing(record: dict) -> dict:
    return {"id": record["id"], "title": record["title"], "category": record["category"],
            "lang": record["lang"], "tags": record["tags"], "updated": record["updated"],
            "url": article_url(record["id"]), "visibility": record["visibility"],
            "draft": record.get("draft", False)}


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", replacement, text, count=1)

