"""Live reload: keep the index in step with the articles folder while the site runs.

Every serving process starts a `LiveIndexer`, but only one of them writes: the one
holding the `watch.lock` flock in the index folder. The others keep trying once a
second, so when the writer dies (even by `kill -9`; the kernel drops its lock),
another process takes over. Readers in every process see a change through
`SearchIndex`, which re-opens the index twice a second.

The writer watches the folder with watchdog's native observer (inotify on Linux),
falling back to polling where that is unavailable. A burst of events is applied
once: an update runs when the folder has been quiet for `debounce` seconds.

Updates run in a child process that lives as long as the writer (`_WriterProcess`,
`python -m search.live`): reading and analyzing articles holds Python's interpreter
lock for seconds on a large knowledge base, which the request threads of the serving
process would wait for, and the memory it takes would stay with that process. The
child exits when its parent does (it reads its requests from a pipe the parent holds).
The worker processes of a full rebuild in the child (a new dictionary word changes how every
text segments) run at a lower CPU priority (`WRITER_NICENESS`): they kept every core busy for
seconds beside the site's requests, which now come first. A save's incremental sync keeps the
child's priority, so it stays live within 2 seconds on a busy machine.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from search import indexer, store
from search.indexer import sync_index
from search.version import preload

log = logging.getLogger(__name__)
ELECTION_FILE = "watch.lock"
# A full build's worker processes in the writer child run this much nicer than the serving workers:
# the rebuild a new dictionary word causes waits for the requests, not they for it.
WRITER_NICENESS = 10
IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".tmp", ".part")
SYNC, YIELD = "sync\n", "yield\n"  # the writer child's requests: run a sync; stop embedding for a save


class _Changes(FileSystemEventHandler):
    """Notes the time of the last relevant change in the articles folder, and tells `on_change`."""

    def __init__(self, wake: threading.Event, on_change):
        self.wake = wake
        self.on_change = on_change
        self.last_change = 0.0

    def on_any_event(self, event):
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads (our own indexing among them) change nothing
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if all(_ignored(p) for p in paths if p):
            return
        self.last_change = time.monotonic()
        self.wake.set()
        self.on_change()


def _ignored(path: str) -> bool:
    """Editor swap and backup files: their churn must not trigger updates."""
    name = Path(str(path)).name
    return name.endswith(IGNORED_SUFFIXES) or name.startswith(".")


class LiveIndexer:
    """A background thread that applies article changes to the index, in one elected process."""

    def __init__(self, articles_dir: Path, index_dir: Path, debounce: float = 0.3,
                 poll_interval: float = 1.0, polling: bool = False, watch: bool = True,
                 meaning: bool = False):
        self.articles_dir = Path(articles_dir)
        self.index_dir = Path(index_dir)
        self.debounce = debounce
        self.poll_interval = poll_interval
        self.polling = polling
        self.watch = watch  # False: one start-up sync, then the thread ends
        self.is_writer = False
        self.updates = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._writer = _WriterProcess(self.articles_dir, self.index_dir, meaning)
        # A save while the writer embeds passages makes it stop at the next batch (`_WriterProcess.yield_`).
        self._changes = _Changes(self._wake, self._writer.yield_)
        self._thread = threading.Thread(target=self._run, name="kb-live-indexer", daemon=True)
        self._lock_fd: int | None = None
        self._observer = None

    def start(self) -> LiveIndexer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            if not self.watch:  # the start-up sync only, by one process (the others leave it)
                if self._elect():
                    while not self._update() and not self._stop.wait(1.0):
                        pass
                return
            while not self._stop.is_set() and not self._elect():
                self._stop.wait(1.0)
            if self._stop.is_set():
                return
            self._watch()
            self._wake.set()  # first, catch up with what changed while no one was watching
            while not self._stop.is_set():
                self._wake.wait(self.poll_interval)
                if self._stop.is_set() or not self._wake.is_set():
                    continue
                quiet_for = time.monotonic() - self._changes.last_change
                if quiet_for < self.debounce:
                    self._stop.wait(self.debounce - quiet_for)  # a burst of saves: wait for the last
                    continue
                self._wake.clear()
                if not self._update():
                    self._stop.wait(1.0)  # then try again, even if nothing else changes
                    self._wake.set()
        finally:
            self._release()

    def _elect(self) -> bool:
        """Take the writer's flock if no other process holds it (held for the thread's life; like
        every lock of `search.store`, a forked child does not keep it)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = store.try_lock(self.index_dir / ELECTION_FILE)
        self.is_writer = self._lock_fd is not None
        return self.is_writer

    def _watch(self) -> None:
        kinds = ("polling",) if self.polling else ("native", "polling")
        for kind in kinds:
            observer = Observer() if kind == "native" else PollingObserver(timeout=self.poll_interval)
            try:
                observer.schedule(self._changes, str(self.articles_dir), recursive=True)
                observer.start()
            except OSError as exc:  # e.g. the inotify watch limit: poll instead
                log.warning("cannot watch %s natively (%s); polling instead", self.articles_dir, exc)
                continue
            self._observer = observer
            log.info("watching %s for changes (%s)", self.articles_dir, type(observer).__name__)
            return

    def _update(self) -> bool:
        try:
            report = self._writer.sync()
        except Exception as exc:  # e.g. a long `kb index --rebuild` holds the lock: live reload goes on
            log.error("updating the index from %s failed; retrying\n%s", self.articles_dir, exc)
            return False
        self.updates += 1
        if report["embedding"]:  # it stopped embedding for a save: after that one, go on
            self._wake.set()
        if report["recovered"]:
            log.warning("%s", report["recovered"])
        if self.updates == 1:  # what changed while no one was watching (`kb serve` serves meanwhile)
            log.info("start-up index sync (%s): %d articles, +%d ~%d -%d, %d problems, in %.2fs",
                     report["mode"], report["articles"], report["added"], report["changed"],
                     report["removed"], report["problems"], report["seconds"])
        elif report["mode"] != "unchanged":
            log.info("index %s: +%d ~%d -%d, %d problems, %.2fs", report["mode"], report["added"],
                     report["changed"], report["removed"], report["problems"], report["seconds"])
        return True

    def _release(self) -> None:
        self._writer.close()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._lock_fd is not None:
            store.release(self._lock_fd)
            self._lock_fd = None
            self.is_writer = False


class _WriterProcess:
    """`sync_index` in a child process started on first use and kept while the writer lives."""

    def __init__(self, articles_dir: Path, index_dir: Path, meaning: bool = False):
        self.articles_dir, self.index_dir, self.meaning = articles_dir, index_dir, meaning
        self._process: subprocess.Popen | None = None
        self._requests = threading.Lock()  # the child's input is written by two threads
        self._may_yield = False  # a sync runs in the child and has not been told to yield yet

    def sync(self) -> dict:
        """Run one incremental sync in the child; its report as a dict. Raises RuntimeError with
        the child's error (or its exit) when the sync failed."""
        try:
            with self._requests:
                if self._process is None or self._process.poll() is not None:
                    self._process = subprocess.Popen(
                        [sys.executable, "-m", "search.live", str(self.articles_dir), str(self.index_dir),
                         *(["--meaning"] if self.meaning else [])],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
                self._process.stdin.write(SYNC)
                self._process.stdin.flush()
                self._may_yield = True
            line = self._process.stdout.readline()
        except OSError as exc:
            raise RuntimeError(f"the index writer process stopped ({exc})") from None
        finally:
            self._may_yield = False
        if not line:
            raise RuntimeError(f"the index writer process exited with {self._process.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def yield_(self) -> None:
        """A save is waiting: a sync in progress stops embedding passages at its next batch (the
        rest follows in later syncs), so that the save is live in seconds, not after minutes of
        embedding a whole knowledge base."""
        with self._requests:
            if self._may_yield and self._process is not None:
                self._may_yield = False  # once per sync
                with contextlib.suppress(OSError):
                    self._process.stdin.write(YIELD)
                    self._process.stdin.flush()

    def close(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError):  # a child already gone
            self._process.stdin.close()  # the child's loop ends at the end of its input
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._process = None


def _serve_syncs(articles_dir: Path, index_dir: Path, meaning: bool = False) -> None:
    """The child: one incremental sync per line read, one JSON line of its report written each;
    logging goes to standard error, like its parent's."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing else may write to the answers
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    indexer.WORKER_NICENESS = WRITER_NICENESS  # a full build's workers; saves stay at full speed
    # Load the analyzer (jieba's dictionary) updates use before answering the first request, so
    # that the first save is as quick as the others. (Training, when phrasings change, follows the
    # publication of the save: it does not delay it.)
    with contextlib.suppress(Exception):
        preload(index_dir)
    # Requests are read without a buffer (a byte at a time up to each line's end): a buffered
    # reader could take a YIELD in with the SYNC before it, where `select` no longer sees it.
    requests = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)

    def save_waiting() -> bool:  # the parent wrote a line (YIELD) while this sync ran
        return bool(select.select([requests], [], [], 0)[0])

    for request in iter(requests.readline, b""):
        if request.decode("utf-8") == YIELD:
            continue  # it came after the embedding it was for: nothing to stop
        try:
            report = sync_index(articles_dir, index_dir, meaning=meaning, stop=save_waiting)
            answer = {"mode": report.mode, "articles": report.articles, "added": report.added,
                      "changed": report.changed, "removed": report.removed,
                      "problems": len(report.problems), "seconds": report.seconds,
                      "recovered": report.recovered, "embedding": report.embedding}
        except Exception:
            answer = {"error": traceback.format_exc().rstrip()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve_syncs(Path(sys.argv[1]), Path(sys.argv[2]), "--meaning" in sys.argv[3:])
