"""Keeping the index in step with the articles folder.

`sync_index` is incremental by default: files are compared with the index by
content hash and only added, changed and removed files are touched, in one
Whoosh commit. A file is not even read when its size, modification time (ns) and
inode all equal what the index recorded when it last read that very version
(`gen-*/files.json`, kept per commit); a file modified within 2 s of the scan that
recorded it is read again next time, since an edit in the same clock tick could keep
all three. An edit that keeps size, mtime and inode (a clock set back, a tool that
restores mtimes) is seen by `kb index --rebuild`, which reads every file.

A full build (`rebuild=True`, a missing or unreadable index, an index written by
another schema version, or a new domain word, which changes how existing texts
segment) writes a new generation, then swaps it in atomically: one worker process
per core reads, analyzes and writes its share of the files into a segment of its
own, and this process settles duplicate ids in path order, as a serial build does.

A file that fails to parse is reported and skipped; if an earlier version of it is
in the index, that last good version stays searchable until the file is fixed.

Long runs report progress through an optional `progress(stage, done, total)` callback:
stage "reading" counts files read, "indexing" articles analyzed (in a full build,
every article; in an incremental one, the changed ones).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import logging
import multiprocessing
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from kb.articles import (
    Article,
    ArticleError,
    decode_source,
    front_matter_id,
    front_matter_tags,
    parse_article,
)
from kb.corpus import Lexicon, Source, check_duplicate, claimed_ids, load_lexicon, parse_source
from kb.corpus import read_sources as _read_corpus
from kb.errors import Problem
from search import derived, store
from search.analysis import Analyzer, shared_analyzer
from search.documents import article_documents
from search.schema import ARTICLE, CONTENT, META, SCHEMA_VERSION, build_schema
from search.segment_writer import segment_writer

log = logging.getLogger(__name__)
PARALLEL_MIN_FILES = 200  # below this, worker processes cost more than they save
POOL_MB = (128, 3072)  # least and most postings a writer buffers before sorting a run out to disk
WORKER_GC = (20_000, 20, 10)  # a worker's garbage collection thresholds (`gc.set_threshold`)
# Added to the niceness of a full build's worker processes: the live writer (search.live) sets
# it, so that the rebuild a new dictionary word causes takes the CPU its site's requests leave.
WORKER_NICENESS = 0


def _pool_mb(writers: int) -> int:
    """Postings each of `writers` writers may buffer (Whoosh's `limitmb`), from the memory available
    (free or reclaimable: the page cache counts): a pool that overflows is written out in sorted
    runs merged at the end, which costs Whoosh about as much again as the writing itself (12,000
    articles: 23 s of CPU at 128 MB, 11 s at 1 GB; 100,000 articles overflowed 1 GB per worker)."""
    available = _available_mb()
    if available is None:
        return POOL_MB[0]
    return int(max(POOL_MB[0], min(POOL_MB[1], available / (3 * writers))))


def _available_mb() -> float | None:
    """MemAvailable of /proc/meminfo (else the free pages), in MB; None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return None


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
    # Articles whose passages (the meaning model's) are still to embed: `stop` cut the embedding
    # short; the next sync goes on with them.
    embedding: int = 0


def read_sources(root: Path, progress: Progress = _no_progress,
                 known: dict[str, tuple] | None = None) -> dict[str, Source]:
    """Every article file under `root`, read once (`kb.corpus`: the path `kb check` uses too);
    files named in `known` whose size, modification time and inode are unchanged are not read."""
    return _read_corpus(root, progress, known)


def sync_index(articles_dir: Path, index_dir: Path, rebuild: bool = False,
               workers: int | None = None, progress: Progress | None = None, meaning: bool = False,
               stop=None) -> SyncReport:
    """Bring the index in `index_dir` in step with `articles_dir`; see the module doc.

    `meaning`: keep the passage vectors of the meaning model (`search.passages`) in step too —
    embedded after the commit is published, for the articles whose source changed; without it,
    the index has none. `stop()`, asked between batches of passages, may end the embedding early
    (the live writer's, when a save is waiting): the report counts the articles left for the next
    sync (`embedding`).

    An incremental run reads only the files whose size, modification time or inode changed
    since the index last read them (`store.read_file_table`); `rebuild` reads every file."""
    progress = progress or _no_progress
    started = time.perf_counter()
    articles_dir, index_dir = Path(articles_dir), Path(index_dir)
    with store.writer_lock(index_dir) as recovered:
        base_lexicon, lexicon_problems = load_lexicon(articles_dir)
        ix = _open_current(index_dir)
        indexed = _indexed_records(ix) if ix is not None else {}
        table = {} if ix is None or rebuild else store.read_file_table(store.current_generation(index_dir),
                                                                         ix.latest_generation())
        # A file is trusted unchanged only where the index holds the very version the table saw.
        known = {p: tuple(entry[:3]) for p, entry in table.items()
                 if p in indexed and indexed[p]["hash"] == entry[3]}
        scanned_at = time.time_ns()
        sources = read_sources(articles_dir, progress, known)
        report = None
        if ix is not None and not rebuild:
            report = _incremental(ix, indexed, sources, base_lexicon, lexicon_problems, progress)
        if report is None:
            if any(s.unread for s in sources.values()):
                sources = read_sources(articles_dir, progress, {})  # a full build reads every file
            report = _full_build(index_dir, ix, indexed, sources, base_lexicon, lexicon_problems, workers,
                                 progress)
        commit, embedding = _derive(index_dir, meaning, progress, stop)
        store.write_file_table(store.current_generation(index_dir), commit,
                               _file_table(sources, table, scanned_at))
    report.recovered, report.embedding = recovered, embedding
    report.seconds = time.perf_counter() - started
    return report


RACY_NS = 2_000_000_000  # a file modified this close to the scan may change again within its mtime tick


def _file_table(sources: dict[str, Source], previous: dict[str, list], scanned_at: int) -> dict[str, list]:
    """relpath → [size, mtime_ns, inode, sha1] of each file read (or found unchanged) in this run.

    A file modified within `RACY_NS` of the scan is left out, so the next run reads it again:
    an edit in the same clock tick, with the same size, would otherwise go unseen."""
    table = {}
    for relpath, source in sources.items():
        if source.unread:
            table[relpath] = previous[relpath]
        elif source.data is not None and source.key is not None and source.key[1] < scanned_at - RACY_NS:
            table[relpath] = [*source.key, _hash(source)]
    return table


def _derive(index_dir: Path, meaning: bool = False, progress: Progress = _no_progress, stop=None
            ) -> tuple[int, int]:
    """Store the derived state of the current commit if it has none yet (`search.derived`): at once
    with the previous classifier and passage vectors, then, when the phrasings (or sources)
    changed, with a newly trained classifier (and the changed articles' passages embedded).
    Returns the commit's number and how many articles' passages are still to embed."""
    generation_dir = store.current_generation(index_dir)
    ix = _open_unmapped(generation_dir)
    path = derived.latest(generation_dir, ix.latest_generation())  # a full build derived it already
    if path is None:
        path, _ = derived.build(generation_dir, ix, previous=derived.latest(generation_dir), train=False)
    _, pending = derived.finish(generation_dir, ix, path, meaning=meaning,
                                progress=lambda done, total: progress("meaning", done, total), stop=stop)
    return ix.latest_generation(), pending


def _open_unmapped(generation: Path):
    """The index in `generation` (as `whoosh.index.open_dir`), its files read through file handles:
    with a memory map, Whoosh copies every file of every segment into memory each time a reader
    opens (30,000 articles: 123 MB and 30 ms per reader; a writer's sync opens three), while it
    reads little of them — the meta document, the deleted paths, the new segment."""
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(generation), supports_mmap=False).open_index()


def _open_current(index_dir: Path):
    generation = store.current_generation(index_dir)
    if generation is None:
        return None
    try:
        ix = _open_unmapped(generation)
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
    """path → id, path, hash and tags (or the whole stored record) of every article in the index:
    from the derived state of its commit when it has one, else from Whoosh's stored fields."""
    stored = derived.latest(Path(ix.storage.folder), ix.latest_generation())
    articles = derived.indexed_articles(stored) if stored is not None else None
    if articles is not None:
        return articles
    with ix.searcher() as searcher:
        return {fields["path"]: fields["data"] for fields in searcher.documents(kind=ARTICLE)}


def _lexicon_for(base: Lexicon, tags: list[str]) -> Lexicon:
    known = {word for word, _, _ in base.words}
    return Lexicon(base.words + [(t, None, None) for t in sorted(set(tags) - known)], base.synonyms)


def _parse(source: Source) -> Article:
    return parse_source(source)  # the one loading path, shared with `kb check`


def _incremental(ix, indexed: dict[str, dict], sources: dict[str, Source], base: Lexicon,
                 lexicon_problems: list[Problem], progress: Progress) -> SyncReport | None:
    """Apply changed files in one commit; None when a full build is needed instead."""
    # One reader of the commit for the whole run: Whoosh copies each file of every segment into
    # memory when it opens a reader, which its writer would do again for each deletion.
    with ix.searcher() as searcher:
        return _apply_changes(ix, searcher, indexed, sources, base, lexicon_problems, progress)


def _apply_changes(ix, searcher, indexed: dict[str, dict], sources: dict[str, Source], base: Lexicon,
                   lexicon_problems: list[Problem], progress: Progress) -> SyncReport | None:
    fields = searcher.document(uid="meta")
    meta = fields["data"] if fields else {}
    if meta.get("version") != SCHEMA_VERSION:
        return None  # written by another version of kb: rebuild with this one
    changed = [s for p, s in sources.items() if not s.unread and (p not in indexed or s.problem
                                                                   or indexed[p]["hash"] != _hash(s))]
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
    writer = segment_writer(ix, timeout=30.0)
    try:
        # (`searcher` reads the commit this writer started from: the same document numbers.)
        for relpath in removed + list(parsed):
            writer.delete_by_term("path", relpath, searcher=searcher)
        writer.delete_by_term("uid", "meta", searcher=searcher)
        for done, (relpath, article) in enumerate(parsed.items(), start=1):
            progress("indexing", done, len(parsed))
            for doc in article_documents(article, _text(sources[relpath]), analyzer):
                writer.add_document(**doc)
        writer.add_document(**_meta_document(lexicon, problems, len(by_id)))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return report


def _full_build(index_dir: Path, old_ix, indexed: dict[str, dict], sources: dict[str, Source],
                base: Lexicon, lexicon_problems: list[Problem], workers: int | None,
                progress: Progress) -> SyncReport:
    """Write every article into a new generation and publish it.

    With several workers, each worker process reads, analyzes and writes its share of the
    articles into a segment of its own (`_write_in_workers`); this process then settles, in
    path order, what each file became — as a serial build does — and writes the rest."""
    # (A file that never says "tags" has none: its front matter need not be read for them.)
    tags = [t for s in sources.values() if s.data is not None and b"tags" in s.data
            for t in front_matter_tags(s.data, s.relpath)]
    global _worker_analyzer
    lexicon = _lexicon_for(base, tags)
    analyzer = _worker_analyzer = shared_analyzer(lexicon.words)
    problems = list(lexicon_problems)
    holders = {r["id"]: p for p, r in indexed.items()}
    workers = workers or os.cpu_count() or 1
    generation = store.new_generation(index_dir)
    try:
        ix = whoosh_index.create_in(str(generation), build_schema())
        outcomes, segments, pieces = {}, [], {}
        if workers > 1 and len(sources) >= PARALLEL_MIN_FILES:
            skip = _predicted_duplicates(holders, sources)
            todo = [s for p, s in sources.items() if p not in skip]
            outcomes, segments, pieces = _write_in_workers(generation, todo, workers, progress, len(sources))
        writer = segment_writer(ix, limitmb=_pool_mb(1) if not segments else 128)
        try:
            # An id keeps the file that held it in the previous index, whatever the order
            # of paths; other ids go to the first file by path (kb.corpus.claimed_ids: the
            # rule `kb check` applies too).
            by_id: dict = claimed_ids(holders, sources)
            written, done = 0, len(outcomes)
            for relpath, source in sources.items():
                if relpath in outcomes:  # read and written by a worker
                    result, docs = outcomes[relpath], None
                else:  # not handed to the workers (serial build, or an id predicted taken)
                    done += 1
                    progress("indexing", done, len(sources))
                    result = _prepare(source)[1]
                    if not isinstance(result, Problem):
                        result, docs = result
                if isinstance(result, Problem):
                    problems.append(result)
                    last_good = _last_good(old_ix, relpath, analyzer)
                    if last_good is None:
                        continue
                    result, docs = last_good
                duplicate = check_duplicate(result, by_id)
                if duplicate:
                    if docs is None:  # a worker wrote it: the ids were predicted wrong
                        raise _Mispredicted(relpath)
                    problems.append(duplicate)
                    continue
                by_id[result.id] = result
                written += 1
                for doc in docs or ():
                    writer.add_document(**doc)
            writer.add_document(**_meta_document(lexicon, problems, written))
        except BaseException:
            writer.cancel()
            raise
        _commit_with(writer, segments)
        # Readers find the derived state with the generation; a changed classifier follows.
        previous = store.current_generation(index_dir)
        derived.build(generation, ix, previous=derived.latest(previous) if previous else None, train=False,
                      analyzer=analyzer, pieces=pieces)
        store.publish(index_dir, generation)
    except _Mispredicted as exc:
        store.discard(generation)
        log.warning("%s: its id was not the one predicted; building again in one process", exc)
        return _full_build(index_dir, old_ix, indexed, sources, base, lexicon_problems, 1, progress)
    except BaseException:
        store.discard(generation)
        raise
    return SyncReport("full", added=written, articles=written, problems=problems)


class _Mispredicted(Exception):
    """A worker wrote an article whose id turned out to be taken (never expected: see
    `_predicted_duplicates`)."""


def _predicted_duplicates(holders: dict[str, str], sources: dict[str, Source]) -> set[str]:
    """Paths of the files whose id another file keeps, as far as their front matter tells
    (`front_matter_id`): the workers leave them out and this process settles them. A file
    that then fails to parse frees its id for the next one, which this process writes."""
    by_id: dict = claimed_ids(holders, sources)
    skip = set()
    for relpath, source in sources.items():
        article_id = front_matter_id(source.data, relpath) if source.data is not None else None
        if article_id is None:
            continue
        other = by_id.get(article_id)
        if other is not None and other.path != relpath:
            skip.add(relpath)
        else:
            by_id[article_id] = _Stub(article_id, relpath)
    return skip


def _commit_with(writer, segments: list) -> None:
    """Commit `writer` with the segments the worker processes wrote added to its own (as Whoosh's
    multiprocessing writer does, without merging)."""
    if not segments:
        writer.commit()
        return
    try:
        final = writer._merge_segments(None, False, False) + segments
        final.append(writer._finalize_segment())
        writer._commit_toc(final)
    except BaseException:
        writer.cancel()
        raise
    writer._finish()


def _write_in_workers(generation: Path, sources: list[Source], workers: int, progress: Progress,
                      total: int) -> tuple[dict, list, dict]:
    """Read, analyze and write `sources` in `workers` processes, each into a segment of its own:
    (relpath → the article's id and path, or its Problem; the segments written; their parts of
    the derived state, by segment id: `derived.segment_piece`).

    Batches of files go to whichever worker is free; the processes are forked while the write
    lock is held, so they let go of it and die with this process (`search.store`)."""
    from search import pinyin

    pinyin.read_file()  # the pinyin converted before, read once for the workers (`pinyin_keys`)
    context = multiprocessing.get_context("fork")
    tasks, results = context.Queue(), context.Queue()
    batch = max(1, min(64, len(sources) // (workers * 20)))
    for start in range(0, len(sources), batch):
        tasks.put((start, min(len(sources), start + batch)))
    for _ in range(workers):
        tasks.put(None)
    arguments = (str(generation), sources, tasks, results, _pool_mb(workers))
    processes = [context.Process(target=_segment_worker, args=arguments, daemon=True) for _ in range(workers)]
    outcomes: dict = {}
    segments = []
    pieces: dict = {}
    converted: dict = {}
    try:
        for process in processes:
            process.start()
        finished = 0
        while finished < workers:
            try:
                kind, value = results.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("an indexing worker process died") from None
                continue
            if kind == "done":
                outcomes.update(value)
                progress("indexing", len(outcomes), total)
            elif kind == "segment":
                finished += 1
                segment, piece, new_pinyin = value
                if segment is not None:
                    segments.append(segment)
                    pieces[segment.segment_id()] = piece
                converted.update(new_pinyin)
            elif kind == "oserror":
                raise OSError(*value)
            else:
                raise RuntimeError(f"an indexing worker failed: {value}")
        for process in processes:
            process.join()
        pinyin.remember(converted)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    return outcomes, segments, pieces


def _segment_worker(generation: str, sources: list[Source], tasks, results, limitmb: int) -> None:
    """One worker process of `_write_in_workers`: its batches into one segment; errors reported
    to the parent in one message (a full disk is an `OSError` it names), never as a traceback."""
    from search import pinyin

    # The objects inherited from the writer process (the files read, the dictionary…) are never
    # garbage here: no collection walks them (or copies their pages). The postings the segment
    # gathers live until it is written: collections every WORKER_GC allocations rather than 700
    # (kb-10000: the workers' collections 0.45 → 0.2 s of CPU each).
    gc.freeze()
    gc.set_threshold(*WORKER_GC)
    if WORKER_NICENESS:
        try:
            os.nice(WORKER_NICENESS)
        except OSError:  # not allowed here: at the usual priority
            pass
    pinyin.defer_writing()  # the parent writes what the workers converted, once
    try:
        writer = segment_writer(whoosh_index.open_dir(generation), _lk=False, limitmb=limitmb)
        records = {}  # document number → the stored record of each article document
        while (task := tasks.get()) is not None:
            outcomes = []
            for source in sources[task[0]:task[1]]:
                relpath, result = _prepare(source)
                if not isinstance(result, Problem):
                    result, docs = result
                    for doc in docs:
                        if doc["kind"] == ARTICLE:
                            records[writer.docnum] = doc["data"]
                        writer.add_document(**doc)
                outcomes.append((relpath, result))
            results.put(("done", outcomes))
        piece = None
        if writer._added:
            segment = writer._finalize_segment()
            # The segment's part of the derived state, read and stored here rather than by the parent
            # after all the workers are done (`derived.build` links its files).
            from whoosh.reading import SegmentReader

            leaf = SegmentReader(writer.storage, writer.schema, segment)
            try:
                piece = derived.segment_piece(leaf, Path(generation), records)
            finally:
                leaf.close()
        else:
            writer._close_segment()
            segment = None
        results.put(("segment", (segment, piece, pinyin.converted())))
    except OSError as exc:
        results.put(("oserror", (exc.errno, exc.strerror or str(exc))))
    except BaseException as exc:  # noqa: BLE001 (reported to the parent, which raises it)
        results.put(("error", f"{type(exc).__name__}: {exc}"))


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


# The analyzer of the build under way; worker processes inherit it through fork(): built once.
_worker_analyzer: Analyzer | None = None


def _prepare(source: Source):
    try:
        article = _parse(source)
    except ArticleError as exc:
        return source.relpath, exc.problem
    # The parent needs the article's id and path only (duplicate ids), not the whole article.
    return source.relpath, (_Stub(article.id, article.path),
                            article_documents(article, _text(source), _worker_analyzer))


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
    """The source as its article was read (`kb.articles.read_source`), the text the page is rendered
    from."""
    return decode_source(source.data, source.relpath)


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
