"""Keeping the index in step with the articles folder.

`sync_index` is incremental by default: files are compared with the index by
content hash and only added, changed and removed files are touched, in one
Whoosh commit. A full build (`rebuild=True`, a missing or unreadable index, an index
written by another schema version, or a new domain word, which changes how existing
texts segment) writes a new generation
with every core segmenting and writing, then swaps it in atomically.

A file that fails to parse is reported and skipped; if an earlier version of it is
in the index, that last good version stays searchable until the file is fixed.

Long runs report progress through an optional `progress(stage, done, total)` callback:
stage "reading" counts files read, "indexing" articles analyzed (in a full build,
every article; in an incremental one, the changed ones).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from kb.articles import Article, ArticleError, front_matter_tags, parse_article
from kb.corpus import Lexicon, Source, check_duplicate, claimed_ids, load_lexicon, parse_source
from kb.corpus import read_sources as _read_corpus
from kb.errors import Problem
from search import derived, store
from search.analysis import Analyzer, shared_analyzer
from search.documents import article_documents
from search.schema import ARTICLE, CONTENT, META, SCHEMA_VERSION, build_schema

log = logging.getLogger(__name__)
PARALLEL_MIN_FILES = 200  # below this, worker processes cost more than they save
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


@dataclass
class SyncReport:
    """What one `sync_index` run did."""

    mode: str  # "full" | "incremental" | "unchanged"
    added: int = 0
    changed: int = 0
    removed: int = 0
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    recovered: str | None = None  # what was cleaned up after an interrupted earlier run


def read_sources(root: Path, progress: Progress = _no_progress) -> dict[str, Source]:
    """Every article file under `root`, read once (`kb.corpus`: the path `kb check` uses too)."""
    return _read_corpus(root, progress)


def sync_index(articles_dir: Path, index_dir: Path, rebuild: bool = False,
               workers: int | None = None, progress: Progress | None = None) -> SyncReport:
    """Bring the index in `index_dir` in step with `articles_dir`; see the module doc."""
    progress = progress or _no_progress
    started = time.perf_counter()
    articles_dir, index_dir = Path(articles_dir), Path(index_dir)
    with store.writer_lock(index_dir) as recovered:
        base_lexicon, lexicon_problems = load_lexicon(articles_dir)
        sources = read_sources(articles_dir, progress)
        ix = _open_current(index_dir)
        indexed = _indexed_records(ix) if ix is not None else {}
        report = None
        if ix is not None and not rebuild:
            report = _incremental(ix, indexed, sources, base_lexicon, lexicon_problems, progress)
        if report is None:
            report = _full_build(index_dir, ix, indexed, sources, base_lexicon, lexicon_problems, workers,
                                 progress)
        _derive(index_dir)
    report.recovered = recovered
    report.seconds = time.perf_counter() - started
    return report


def _derive(index_dir: Path) -> None:
    """Store the derived state of the current commit if it has none yet (`search.derived`): at once
    with the previous classifier, then, when the phrasings changed, with a newly trained one."""
    generation_dir = store.current_generation(index_dir)
    ix = whoosh_index.open_dir(str(generation_dir))
    path = derived.latest(generation_dir, ix.latest_generation())  # a full build derived it already
    if path is None:
        path, _ = derived.build(generation_dir, ix, previous=derived.latest(generation_dir), train=False)
    derived.finish(generation_dir, ix, path)


def _open_current(index_dir: Path):
    generation = store.current_generation(index_dir)
    if generation is None:
        return None
    try:
        ix = whoosh_index.open_dir(str(generation))
        with ix.searcher() as searcher:
            searcher.document(uid="meta")
        return ix
    except Exception as exc:  # a corrupt index is rebuilt, never fatal
        log.warning("index in %s is unreadable (%s); rebuilding it", generation, exc)
        return None


def id_holders(index_dir: Path) -> dict[str, str]:
    """id → path of every article in the current index ({} without one): who holds each id,
    for `kb check` to resolve duplicate ids as the next build will."""
    ix = _open_current(Path(index_dir)) if exists(index_dir) else None
    if ix is None:
        return {}
    return {record["id"]: path for path, record in _indexed_records(ix).items()}


def _indexed_records(ix) -> dict[str, dict]:
    """path → stored record of every article in the index."""
    with ix.searcher() as searcher:
        return {fields["path"]: fields["data"] for fields in searcher.documents(kind=ARTICLE)}


def _meta(ix) -> dict:
    with ix.searcher() as searcher:
        fields = searcher.document(uid="meta")
    return fields["data"] if fields else {}


def _lexicon_for(base: Lexicon, tags: list[str]) -> Lexicon:
    known = {word for word, _, _ in base.words}
    return Lexicon(base.words + [(t, None, None) for t in sorted(set(tags) - known)], base.synonyms)


def _parse(source: Source) -> Article:
    return parse_source(source)  # the one loading path, shared with `kb check`


def _incremental(ix, indexed: dict[str, dict], sources: dict[str, Source], base: Lexicon,
                 lexicon_problems: list[Problem], progress: Progress) -> SyncReport | None:
    """Apply changed files in one commit; None when a full build is needed instead."""
    meta = _meta(ix)
    if meta.get("version") != SCHEMA_VERSION:
        return None  # written by another version of kb: rebuild with this one
    changed = [s for p, s in sources.items() if p not in indexed or s.problem
               or indexed[p]["hash"] != _hash(s)]
    removed = [p for p in indexed if p not in sources]
    parsed: dict[str, Article] = {}
    problems = list(lexicon_problems)
    for source in changed:
        try:
            parsed[source.relpath] = _parse(source)
        except ArticleError as exc:
            problems.append(exc.problem)
    kept = {p: r for p, r in indexed.items() if p not in removed and p not in parsed}
    tags = [t for r in kept.values() for t in r["tags"]] + [t for a in parsed.values() for t in a.tags]
    wanted = _lexicon_for(base, tags)
    indexed_words = [tuple(w) for w in meta.get("lexicon", {}).get("words", [])]
    if set(map(tuple, wanted.words)) - set(indexed_words):
        return None  # a new domain word changes how existing texts segment
    # Words no longer used stay until the next full build, so every document in
    # the index was analyzed with the same dictionary.
    lexicon = Lexicon(indexed_words, wanted.synonyms)
    by_id = {r["id"]: _stub(r) for r in kept.values()}
    for relpath, article in list(parsed.items()):
        duplicate = check_duplicate(article, by_id)
        if duplicate:
            problems.append(duplicate)
            del parsed[relpath]
        else:
            by_id[article.id] = article
    report = SyncReport("incremental", problems=problems, articles=len(by_id))
    report.added = sum(1 for p in parsed if p not in indexed)
    report.changed = len(parsed) - report.added
    report.removed = len(removed)
    if (not parsed and not removed and _problem_dicts(problems) == meta.get("problems")
            and lexicon.synonyms == meta.get("lexicon", {}).get("synonyms")):
        report.mode = "unchanged"
        return report
    analyzer = shared_analyzer(lexicon.words)
    writer = ix.writer(timeout=30.0)
    try:
        for relpath in removed + list(parsed):
            writer.delete_by_term("path", relpath)
        for done, (relpath, article) in enumerate(parsed.items(), start=1):
            progress("indexing", done, len(parsed))
            for doc in article_documents(article, _text(sources[relpath]), analyzer):
                writer.add_document(**doc)
        writer.update_document(**_meta_document(lexicon, problems, len(by_id)))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return report


def _full_build(index_dir: Path, old_ix, indexed: dict[str, dict], sources: dict[str, Source],
                base: Lexicon, lexicon_problems: list[Problem], workers: int | None,
                progress: Progress) -> SyncReport:
    """Write every article into a new generation and publish it."""
    tags = [t for s in sources.values() if s.data is not None for t in front_matter_tags(s.data, s.relpath)]
    lexicon = _lexicon_for(base, tags)
    analyzer = shared_analyzer(lexicon.words)
    problems = list(lexicon_problems)
    generation = store.new_generation(index_dir)
    try:
        ix = whoosh_index.create_in(str(generation), build_schema())
        workers = workers or os.cpu_count() or 1
        if workers > 1 and len(sources) >= PARALLEL_MIN_FILES:
            # Whoosh's multiprocessing writer: each process writes its own segment.
            writer = _QuietMpWriter(ix, procs=workers, multisegment=True, limitmb=128)
        else:
            writer = ix.writer(limitmb=256)
        # An id keeps the file that held it in the previous index, whatever the order
        # of paths; other ids go to the first file by path (kb.corpus.claimed_ids: the
        # rule `kb check` applies too).
        by_id: dict = claimed_ids({r["id"]: p for p, r in indexed.items()}, sources)
        written = 0
        for done, (relpath, result) in enumerate(_prepare_all(list(sources.values()), analyzer, workers),
                                                 start=1):
            progress("indexing", done, len(sources))
            if isinstance(result, Problem):
                problems.append(result)
                result = _last_good(old_ix, relpath, analyzer)
                if result is None:
                    continue
            article, docs = result
            duplicate = check_duplicate(article, by_id)
            if duplicate:
                problems.append(duplicate)
                continue
            by_id[article.id] = article
            written += 1
            for doc in docs:
                writer.add_document(**doc)
        writer.add_document(**_meta_document(lexicon, problems, written))
        writer.commit()
        # Readers find the derived state with the generation; a changed classifier follows.
        previous = store.current_generation(index_dir)
        derived.build(generation, ix, previous=derived.latest(previous) if previous else None, train=False,
                      analyzer=analyzer)
        store.publish(index_dir, generation)
    except BaseException:
        store.discard(generation)
        raise
    return SyncReport("full", added=written, articles=written, problems=problems)


def _quiet_task_class():
    """Whoosh's segment-writer process, which exits with status 1 on an `OSError` (a full disk)
    instead of printing a traceback: the run reports the failure in one line itself."""
    from whoosh.multiproc import SubWriterTask

    class QuietSubWriterTask(SubWriterTask):
        def run(self):
            try:
                super().run()
            except OSError:
                raise SystemExit(1) from None

    return QuietSubWriterTask


def _QuietMpWriter(ix, **kwargs):  # noqa: N802 (builds a writer, like ix.writer)
    """Whoosh's multiprocessing writer whose processes fail quietly (see `_quiet_task_class`)."""
    from whoosh.multiproc import MpWriter

    task_class = _quiet_task_class()

    class QuietMpWriter(MpWriter):
        def _new_task(self):
            task = task_class(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                              self.multisegment)
            self.tasks.append(task)
            task.start()
            return task

    return QuietMpWriter(ix, **kwargs)


def _last_good(ix, relpath: str, analyzer: Analyzer):
    """The article and documents of the last version of `relpath` that parsed, if any."""
    if ix is None:
        return None
    with ix.searcher() as searcher:
        content = searcher.document(kind=CONTENT, path=relpath)
    if content is None:
        return None
    source = content["data"]["source"]
    article = parse_article(source.encode("utf-8"), relpath)
    return article, article_documents(article, source, analyzer)


# Worker processes inherit these through fork(): the analyzer is built once.
_worker_analyzer: Analyzer | None = None


def _prepare(source: Source):
    try:
        article = _parse(source)
    except ArticleError as exc:
        return source.relpath, exc.problem
    return source.relpath, (article, article_documents(article, _text(source), _worker_analyzer))


def _prepare_all(sources: list[Source], analyzer: Analyzer, workers: int):
    """(relpath, (article, documents) or Problem) for each source, in order.

    The worker processes are forked while the write lock is held, so they let go of it
    and die with this process (`search.store`): a killed run leaves no orphan behind."""
    global _worker_analyzer
    _worker_analyzer = analyzer
    if workers <= 1 or len(sources) < PARALLEL_MIN_FILES:
        yield from map(_prepare, sources)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_prepare, sources, chunksize=16)


def _meta_document(lexicon: Lexicon, problems: list[Problem], count: int) -> dict:
    return {"uid": "meta", "kind": META, "data": {
        "version": SCHEMA_VERSION,
        "lexicon": {"words": [list(w) for w in lexicon.words], "synonyms": lexicon.synonyms},
        "problems": _problem_dicts(problems), "articles": count,
        "indexed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }}


def _problem_dicts(problems: list[Problem]) -> list[dict]:
    return [p.to_dict() for p in problems]


def _hash(source: Source) -> str:
    return hashlib.sha1(source.data).hexdigest() if source.data is not None else ""


def _text(source: Source) -> str:
    return source.data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")


def _stub(record: dict):
    """Enough of an indexed article for duplicate-id checks."""
    return _Stub(record["id"], record["path"])


@dataclass
class _Stub:
    id: str
    path: str


def exists(index_dir: Path) -> bool:
    """Whether `index_dir` holds a published index."""
    generation = store.current_generation(Path(index_dir))
    return generation is not None and whoosh_index.exists_in(str(generation))


def unservable(index_dir: Path) -> str | None:
    """Why the index in `index_dir` must be (re)built before anyone searches it — missing,
    unreadable, or written by another version of kb — or None: it can be served as it is
    while a sync brings it up to date (`kb serve`)."""
    index_dir = Path(index_dir)
    generation = store.current_generation(index_dir)
    if generation is None:
        return f"no index in {index_dir}"
    try:
        with whoosh_index.open_dir(str(generation)).searcher() as searcher:
            meta = searcher.document(uid="meta")
    except Exception:  # damaged files: the sync says what it finds, and rebuilds
        return f"the index in {index_dir} cannot be opened"
    if meta is None or meta["data"].get("version") != SCHEMA_VERSION:
        return f"the index in {index_dir} was written by another version of kb"
    return None
