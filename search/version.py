"""The open version of the index: one commit with its derived state, swapped atomically.

A `_State` is one commit of the index (a Whoosh searcher at one TOC generation)
together with the state the writer derived from it (`search.derived`: catalog,
suggestions, spelling list, question classifier, phrasing vectors). Readers only
load that state; nothing is trained or rebuilt here.

`Versions` follows the index on disk. A search uses whatever state is current when
it starts and never waits for a reload: a follower thread looks at the disk every
`REFRESH_SECONDS`, opens a newer commit (once its derived state is stored), prepares
what searches derive from it (the `prepare` callable of the facade) and swaps it in
with one reference assignment.
Searches run in parallel threads; Whoosh's searcher reads its files through shared
handles, so each call into it holds a lock for that call only (`_Guarded`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh.matching import ListMatcher

from search import derived, store, zerocopy
from search.analysis import Analyzer, shared_analyzer
from search.config import RankingConfig
from search.derived import SCORED_FIELDS
from search.query import synonym_map
from search.records import ArticleRecord
from search.scoring import Bm25Scorer

zerocopy.install()  # the index's segments read in place: processes share their pages

log = logging.getLogger(__name__)
REFRESH_SECONDS = 0.5
FIRST_OPEN_WAIT = 10.0  # seconds a first open waits for a running writer to store the derived state
# A version's scorers use the default ranking configuration's BM25 parameters; searches
# with other ones build their own (`search.ranking`).
DEFAULT_CONFIG = RankingConfig()


class IndexMissing(Exception):
    """No index has been built in the index folder yet."""


@dataclass
class _ArticleModel:
    """A model scoring its articles for a query (`article_ids`, `scores(text)`), in one index version."""

    model: object | None  # a QuestionClassifier or PhrasingVectors; None when there is nothing to learn
    key: str  # fingerprint of the phrasings it was built from
    docnums: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # -1: not indexed


@dataclass
class _State:
    """One open commit of the index and what is derived from it."""

    generation: str  # the generation folder
    ix: object
    searcher: object  # shared by threads: a `_Guarded` Whoosh searcher
    analyzer: Analyzer
    synonyms: dict
    lexicon_key: list
    meta: dict
    catalog: dict[str, ArticleRecord]  # article id → its record
    by_tag: dict[str, list[str]]  # tag → ids of articles carrying it
    spelling: dict[bool, dict[str, int]]  # internal? → spelling vocabulary → document frequency
    suggestions: list[tuple[str, str, str, bool]]  # (folded text, text, article id, is a question)
    scorers: dict[bool, Bm25Scorer]  # internal? → scorer; the public one counts public documents only
    classifier: _ArticleModel  # the question classifier
    meaning: _ArticleModel  # the phrasing embeddings
    passages: _ArticleModel  # the passage embeddings of the meaning model (its model None: off)
    allowed: dict  # (lang, category, internal) → boolean array of searchable docnums, cached
    docnums: dict[str, int]  # article id → its article document
    documents: dict[str, np.ndarray]  # the document map (`derived._Commit.documents`)
    toc: int = 0  # Whoosh TOC generation of the commit
    revision: int = 0  # of its derived state
    raw_searcher: object = None  # the Whoosh searcher itself


class _Guarded:
    """A Whoosh searcher or reader that threads share: each call holds `lock` for that call, and
    what it returns lazily (iterators, posting matchers) is read whole before the lock is let go."""

    def __init__(self, target, lock: threading.Lock):
        self._target = target
        self._lock = lock

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            with self._lock:
                result = attribute(*args, **kwargs)
                if name == "reader":
                    return _Guarded(result, self._lock)
                if name == "postings":
                    ids, weights = [], []
                    while result.is_active():
                        ids.append(result.id())
                        weights.append(result.weight())
                        result.next()
                    return ListMatcher(ids, weights)
                if hasattr(result, "__next__"):
                    return list(result)
                return result

        return call

    def __contains__(self, item) -> bool:
        with self._lock:
            return item in self._target

    @property
    def guard(self) -> threading.Lock:
        """The lock, for code that reads the target's files itself (`search.scoring.posting_arrays`)."""
        return self._lock


class Versions:
    """The current version of the index in one folder, replaced when the disk changes."""

    def __init__(self, index_dir: Path, prepare=None):
        """`prepare(state)` derives what searches need from a version before it is swapped in."""
        self.index_dir = Path(index_dir)
        self._prepare = prepare
        self._state: _State | None = None
        self._opening = threading.Lock()  # one first open
        self._reloading = threading.Lock()  # one reload at a time
        self._closed = threading.Event()

    def current(self) -> _State:
        """The state to search now (a search never waits for a newer one to load)."""
        state = self._state
        if state is None:
            with self._opening:
                if self._state is None:
                    with _collector_paused():
                        self._state = self._open_first()
                    threading.Thread(target=_follow, args=(weakref.ref(self), self._closed), daemon=True,
                                     name="kb-index-follower").start()
                return self._state
        return state

    def refresh(self) -> _State:
        """Look at the disk now and wait until the newest version is swapped in (tests, CLI)."""
        if self._state is None:
            return self.current()
        self._reload()
        return self._state

    def _open_first(self) -> _State:
        generation = store.current_generation(self.index_dir)
        if generation is None:
            raise IndexMissing(f"no index in {self.index_dir}; run `kb index`")
        ix = whoosh_index.open_dir(str(generation))
        searcher = ix.searcher()
        toc = searcher.reader().generation()
        deadline = time.monotonic() + FIRST_OPEN_WAIT
        path = derived.latest(generation, toc)
        while path is None and time.monotonic() < deadline and self._writer_busy():
            time.sleep(0.05)  # a writer committed and is storing the derived state
            path = derived.latest(generation, toc)
        return self._load(generation.name, ix, searcher, path, None)

    def _writer_busy(self) -> bool:
        fd = store.try_lock(self.index_dir / store.LOCK_FILE)
        if fd is None:
            return True
        store.release(fd)
        return False

    def _reload(self) -> None:
        """Swap in the newest commit whose derived state is stored (or a newer revision of it)."""
        with self._reloading, _collector_paused():
            self._reload_now()

    def _reload_now(self) -> None:
        try:
            state = self._state
            generation = store.current_generation(self.index_dir)
            if state is None or generation is None:
                return  # an index folder emptied under a running site keeps serving what it had
            if generation.name != state.generation:
                ix = whoosh_index.open_dir(str(generation))
            elif not state.raw_searcher.up_to_date():
                ix = state.ix
            else:
                path = derived.latest(generation, state.toc)
                if path is not None and int(path.name.split(".")[1]) > state.revision:
                    self._state = self._load(state.generation, state.ix, state.raw_searcher, path, state)
                return
            searcher = ix.searcher()  # a fresh one: in-flight searches still read the old one
            path = derived.latest(generation, searcher.reader().generation())
            if path is None:
                searcher.close()  # its writer is still storing the derived state: next time
                return
            self._state = self._load(generation.name, ix, searcher, path, state)
        except Exception:  # e.g. files of a commit replaced while opening it: try again next time
            log.exception("reloading the index in %s failed; still serving the version loaded before",
                          self.index_dir)

    def _load(self, generation: str, ix, searcher, path: Path | None, previous: _State | None) -> _State:
        meta = searcher.document(uid="meta")["data"]
        lexicon = meta.get("lexicon", {})
        key = sorted(tuple(w) for w in lexicon.get("words", []))
        if previous is not None and previous.lexicon_key == key:
            analyzer = previous.analyzer
        else:  # in a forked worker, the one `preload` made in the parent: pages shared
            analyzer = shared_analyzer([tuple(w) for w in lexicon.get("words", [])])
        if path is not None and derived.complete(path):
            stored = derived.load(path, analyzer)
        else:
            log.warning("the index in %s has no stored derived state, or one of an older kb: "
                        "computing it in this process; `kb index` stores it", self.index_dir)
            stored = derived.compute(searcher, analyzer, key)
        guarded = _Guarded(searcher, threading.Lock())
        scorers = _scorers(searcher.reader(), stored.lengths, stored.postings)
        for scorer in set(scorers.values()):
            scorer.reader = guarded.reader()  # postings are read on first use, by any thread
        state = _State(generation=generation, ix=ix, searcher=guarded, analyzer=analyzer,
                       synonyms=synonym_map(lexicon.get("synonyms", []), analyzer), lexicon_key=key,
                       meta=meta,
                       catalog=stored.catalog, by_tag=stored.by_tag, spelling=stored.spelling,
                       suggestions=stored.suggestions, scorers=scorers,
                       classifier=_ArticleModel(stored.classifier, stored.classifier_key,
                                                derived.placed(stored.classifier, stored.docnums)),
                       meaning=_ArticleModel(stored.meaning, stored.meaning_key,
                                             derived.placed(stored.meaning, stored.docnums)),
                       passages=_ArticleModel(stored.passages, "",
                                              derived.placed(stored.passages, stored.docnums)),
                       allowed={}, toc=stored.generation, revision=stored.revision, raw_searcher=searcher,
                       docnums=stored.docnums, documents=stored.documents)
        if self._prepare is not None:
            self._prepare(state)
        return state

    def close(self) -> None:
        self._closed.set()
        with self._opening, self._reloading:
            if self._state is not None:
                self._state.raw_searcher.close()
                self._state = None


def preload(index_dir: Path) -> Analyzer | None:
    """In a process about to fork workers (`kb serve`): make the analyzer of the current index
    (`shared_analyzer`, which the workers' versions then take) so that every worker uses this
    one, its pages shared with the parent, and freeze the collector's view of it so collections
    in the workers do not copy those pages. Returns it (None without an index)."""
    import gc

    generation = store.current_generation(Path(index_dir))
    if generation is None:
        return None
    with whoosh_index.open_dir(str(generation)).searcher() as searcher:
        meta = searcher.document(uid="meta")
    words = (meta["data"] if meta else {}).get("lexicon", {}).get("words", [])
    analyzer = shared_analyzer([tuple(w) for w in words])
    gc.freeze()
    return analyzer


def _follow(versions_ref, closed: threading.Event) -> None:
    """Every `REFRESH_SECONDS`, reload what changed on disk, until the `Versions` is closed or
    forgotten (the thread holds it only while reloading, so it never keeps it alive)."""
    swapped = False
    while not closed.wait(REFRESH_SECONDS):
        versions = versions_ref()
        if versions is None:
            return
        if swapped:  # the version replaced a tick ago is gone once its last search ended
            _give_back_freed_memory()
        before = versions._state
        versions._reload()
        swapped = versions._state is not before
        del versions, before


_pausing = threading.Lock()
_paused = {"loads": 0, "was_enabled": True}  # loads running with the collector paused; its state before


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a version loads. A load makes hundreds of
    thousands of objects that all live as long as the version (records, suggestions, a new
    dictionary's words), and each time a quarter more objects than the last full collection saw
    survive, the collector runs a full one, over everything — which stops every thread of the
    process: on tldr, loading a new generation ran 20 full collections in 7 seconds, 30–220 ms each,
    and every request of the worker waited through them (`bench/load.py`). Paused through the load,
    the collector runs again as usual once it is over, counting the version's objects as survivors
    once instead of at every quarter more. The objects of a replaced version are freed by their
    reference counts as before."""
    with _pausing:
        if _paused["loads"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["loads"] += 1
    try:
        yield
    finally:
        with _pausing:
            _paused["loads"] -= 1
            if _paused["loads"] == 0 and _paused["was_enabled"]:
                gc.enable()


def _give_back_freed_memory() -> None:
    """Return the memory of a replaced version to the system. glibc's allocator keeps freed
    blocks in the arena of the thread that used them (the follower loads each version in its
    own), so without this a worker grows by a version's worth of memory with every few edits."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's `malloc_trim`, or None on other C libraries."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim  # the running program's symbols, C library included
    except (OSError, AttributeError):
        return None


def _scorers(reader, lengths: dict[str, np.ndarray], stored: dict) -> dict[bool, Bm25Scorer]:
    """The agents' scorer counts every document; the public's only what the public may see, so
    adding an internal article changes no public score. `stored`: the segments' stored long
    posting lists (`derived.SegmentPostings` by segment id)."""
    b = {name: DEFAULT_CONFIG.b(name) for name in SCORED_FIELDS}
    agents = Bm25Scorer(reader, SCORED_FIELDS, b, DEFAULT_CONFIG.k1, lengths=lengths, stored=stored)
    hidden = derived.hidden(reader)
    if not hidden.any():
        return {True: agents, False: agents}
    return {True: agents, False: Bm25Scorer(reader, SCORED_FIELDS, b, DEFAULT_CONFIG.k1, population=~hidden,
                                            lengths=lengths, stored=stored)}
