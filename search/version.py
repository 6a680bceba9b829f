"""One open generation of the index and the state derived from it.

`Versions` follows the index on disk: at most every `REFRESH_SECONDS` it checks
whether another process committed or published a new generation and reopens, so
every process sees a change within a second or two.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import store
from search.analysis import Analyzer, fold_text
from search.classifier import train_question_classifier, training_phrasings
from search.embeddings import embed_phrasings, embedding_phrasings
from search.phrasings import fingerprint
from search.query import synonym_map
from search.records import ArticleRecord
from search.schema import (
    ARTICLE,
    ARTICLE_FIELDS,
    CHARS_FIELD,
    GRAMS_FIELD,
    LATIN_GRAMS_FIELD,
    PINYIN_FIELD,
    UNIT_FIELDS,
)
from search.scoring import Bm25Scorer

REFRESH_SECONDS = 0.5
# BM25 length normalization per field (default 0.75): a long title or question
# that only partly matches is penalized fully; headings barely.
FIELD_B = {"title": 1.0, "questions": 1.0, "latin_grams": 1.0, "u_heading": 0.3}
SCORED_FIELDS = [*ARTICLE_FIELDS, GRAMS_FIELD, CHARS_FIELD, LATIN_GRAMS_FIELD, PINYIN_FIELD, *UNIT_FIELDS]


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
    catalog: dict[str, ArticleRecord]  # article id → its record
    by_tag: dict[str, list[str]]  # tag → ids of articles carrying it
    spelling: list[str]  # Latin words of titles, questions and headings
    suggestions: list[tuple[str, str, str, bool]]  # (folded text, text, article id, is a question)
    scorer: Bm25Scorer
    classifier: _ArticleModel  # the question classifier
    meaning: _ArticleModel  # the phrasing embeddings
    allowed: dict  # (lang, category, internal) → boolean array of searchable docnums, cached


class Versions:
    """The current version of the index in one folder, reopened when the disk changes."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.lock = threading.RLock()
        self._state: _State | None = None
        self._checked = 0.0
        self._training: str | None = None  # fingerprint of the phrasings being learned in the background

    def current(self) -> _State:
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
        catalog = {fields["article_id"]: ArticleRecord.from_stored(fields["data"])
                   for fields in searcher.documents(kind=ARTICLE)}
        suggestions = sorted(
            {(fold_text(text).lower(), text, record.id, n > 0) for record in catalog.values()
             for n, text in enumerate((record.title, *record.questions))})
        by_tag: dict[str, list[str]] = {}
        for record in catalog.values():
            for tag in record.tags:
                by_tag.setdefault(tag, []).append(record.id)
        spelling = [word.decode("utf-8") for word in searcher.reader().lexicon("spell")]
        return _State(generation=generation, ix=ix, searcher=searcher, analyzer=analyzer,
                      synonyms=synonym_map(lexicon.get("synonyms", []), analyzer), lexicon_key=key, meta=meta,
                      catalog=catalog, by_tag=by_tag, spelling=spelling, suggestions=suggestions,
                      scorer=Bm25Scorer(searcher.reader(), SCORED_FIELDS, FIELD_B),
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
        pairs = training_phrasings(catalog)
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
            with self.lock:
                if self._training == key:
                    self._training = None
        with self.lock:
            state = self._state
            # Only if the index still holds these phrasings: a later change has its own thread.
            if (state is not None and state.analyzer is analyzer
                    and fingerprint(training_phrasings(state.catalog)) == key):
                self._state = replace(state, classifier=classifier.placed(state.searcher))

    def close(self) -> None:
        with self.lock:
            if self._state is not None:
                self._state.searcher.close()
                self._state = None


def _phrasing_vectors(catalog: dict, previous: _State | None) -> _ArticleModel:
    """The embedded phrasings of the catalog; the previous ones if the phrasings are unchanged."""
    pairs = embedding_phrasings(catalog)
    key = fingerprint(pairs)
    if previous is not None and previous.meaning.key == key:
        return previous.meaning
    return _ArticleModel(embed_phrasings(pairs), key)
