"""Where an index lives on disk, and how a new one replaces the old atomically.

    INDEX_DIR/current      symlink to the generation being served
    INDEX_DIR/gen-*/       Whoosh index folders, one per full build
    INDEX_DIR/write.lock   held (flock) by the one process that writes; names it while it does
    INDEX_DIR/gen-*/files.json   size, mtime, inode and hash of each file as the last commit read it

A full build writes a new generation and then swaps `current` with one
`rename()`, so readers see either the old index or the new one, never half of
one. Incremental updates go into the current generation through Whoosh's own
commit, which writes its table of contents last.

Locks are `flock()` locks, and they die with the process that took them:
- the kernel drops a flock when the last descriptor of it closes, so a `kill -9` of
  the holder frees it;
- a forked child would share the descriptor and keep the lock alive after its parent
  died, so every process forked while a lock is held closes the lock's descriptor at
  once (`os.register_at_fork`), and is killed when its parent dies (Linux
  `PR_SET_PDEATHSIG`): no orphan worker can outlive a killed `kb index`;
- descriptors are close-on-exec, so programs started from kb never inherit them.
While it holds the write lock, a process writes its pid and command into the lock
file and empties it when done (by success or by an error it cleaned up after). The
next writer that finds the file filled knows the previous run was killed: it removes
what that run left half-written and says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

CURRENT = "current"
DERIVED = "derived"  # gen-*/derived/<commit>.<revision>/: see search.derived
LOCK_FILE = "write.lock"
LOCK_TIMEOUT = 60.0  # seconds a writer waits for another one


def current_generation(index_dir: Path) -> Path | None:
    """The generation folder being served, or None when there is none yet."""
    link = index_dir / CURRENT
    try:
        target = index_dir / os.readlink(link)
    except OSError:
        return None
    return target if target.is_dir() else None


def latest_derived(generation_dir: Path, generation: int | None = None) -> Path | None:
    """The newest finished derived-state folder of a generation (of Whoosh commit `generation`,
    if given), or None."""
    best = None
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(Path(generation_dir) / DERIVED):
            parts = entry.name.split(".")
            if len(parts) != 2 or not all(p.isdigit() for p in parts):
                continue
            key = (int(parts[0]), int(parts[1]))
            if (generation is None or key[0] == generation) and (best is None or key > best[0]):
                best = (key, Path(entry.path))
    return best[1] if best else None


def id_holders(index_dir: Path) -> dict[str, str] | None:
    """id → path of every article of the current index, read from its derived catalog without
    loading the search engine ({} without an index; None when it has no derived state)."""
    generation = current_generation(Path(index_dir))
    if generation is None:
        return {}
    derived = latest_derived(generation)
    if derived is None:
        return None
    try:  # [id, path, hash, tags] of each article (`search.derived.indexed_articles`)
        articles = json.loads((derived / "articles.json").read_text("utf-8"))["articles"]
    except (OSError, ValueError, KeyError):
        return None
    return {article[0]: article[1] for article in articles}


FILE_TABLE = "files.json"  # gen-*/files.json: what each file was when the index last read it


def read_file_table(generation_dir: Path | None, commit: int) -> dict[str, list]:
    """relpath → [size, mtime_ns, inode, sha1] of the files as the index's commit `commit` read
    them ({} when there is none for that commit: every file is read)."""
    if generation_dir is None:
        return {}
    try:
        data = json.loads((generation_dir / FILE_TABLE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("commit") != commit or not isinstance(data.get("files"), dict):
        return {}
    return data["files"]


def write_file_table(generation_dir: Path, commit: int, files: dict[str, list]) -> None:
    """Store `files` (see `read_file_table`) for commit `commit`, replacing the table in one step."""
    tmp = generation_dir / f".{FILE_TABLE}.{os.getpid()}"
    tmp.write_text(json.dumps({"commit": commit, "files": files}, ensure_ascii=False), "utf-8")
    os.replace(tmp, generation_dir / FILE_TABLE)


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder beside the current one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path.mkdir()
    return path


def publish(index_dir: Path, generation: Path) -> None:
    """Make `generation` current in one atomic step, then drop all but the previous one."""
    previous = current_generation(index_dir)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(generation.name, tmp)
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    keep = {generation.name, previous.name if previous else None}
    for stale in index_dir.glob("gen-*"):
        if stale.name not in keep:
            shutil.rmtree(stale, ignore_errors=True)


def discard(generation: Path) -> None:
    """Remove a generation that was never published (a failed build)."""
    shutil.rmtree(generation, ignore_errors=True)


class LockTimeout(TimeoutError):
    """Another process held the write lock for longer than we waited; the message names it."""


# Descriptors of the flocks this process holds; a forked child closes them (see the module doc).
_held: set[int] = set()
_held_guard = threading.Lock()


def try_lock(path: Path) -> int | None:
    """Take the flock on `path` if no other process holds it: its descriptor, or None."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    with _held_guard:
        _held.add(fd)
    return fd


def release(fd: int) -> None:
    """Give up a lock taken with `try_lock`."""
    with _held_guard:
        _held.discard(fd)
    os.close(fd)  # the last descriptor of the flock: the kernel drops it


def _child_after_fork() -> None:
    """In a child forked while this process held locks: let go of them, and die with the parent."""
    if not _held:
        return
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != _forking_pid:  # the parent died before prctl took effect
            os._exit(1)


_forking_pid = os.getpid()


def _before_fork() -> None:
    global _forking_pid
    _forking_pid = os.getpid()


os.register_at_fork(before=_before_fork, after_in_child=_child_after_fork)


@contextlib.contextmanager
def writer_lock(index_dir: Path, timeout: float | None = None):
    """Hold the index's write lock; waits up to `timeout` seconds (LOCK_TIMEOUT) for another
    writer. Yields a message when the previous writer was interrupted (and is now cleaned up
    after), else None."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
    while (fd := try_lock(path)) is None:
        if time.monotonic() > deadline:
            raise LockTimeout(f"{_holder(path) or 'another process'} is writing the index in {index_dir}; "
                              "try again when it is done")
        time.sleep(0.05)
    try:
        recovered = _recover(index_dir, _read_holder(fd))
        _write_holder(fd, {"pid": os.getpid(), "command": " ".join(sys.argv)[:200],
                           "since": dt.datetime.now().isoformat(timespec="seconds")})
        yield recovered
    finally:
        _write_holder(fd, None)  # the run ended here (even by an error it cleaned up after)
        release(fd)


def _read_holder(fd: int) -> dict | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        holder = json.loads(raw) if raw.strip() else None
    except ValueError:
        return {"pid": 0, "command": "?", "since": "?"}  # half-written: interrupted all the same
    return holder if isinstance(holder, dict) else None


def _write_holder(fd: int, holder: dict | None) -> None:
    os.ftruncate(fd, 0)
    if holder is not None:
        os.pwrite(fd, json.dumps(holder).encode(), 0)


def _holder(path: Path) -> str | None:
    """Who holds the write lock, as the lock file says: "pid 123 (`kb index --rebuild`, since …)"."""
    try:
        holder = json.loads(path.read_text() or "null")
        return f"pid {holder['pid']} ({holder['command']}, since {holder['since']})"
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _recover(index_dir: Path, holder: dict | None) -> str | None:
    """After an interrupted writer: remove the generations it left unpublished; say what happened."""
    if holder is None:
        return None
    current = current_generation(index_dir)
    removed = 0
    for path in index_dir.glob(f"gen-*-{holder.get('pid')}-*"):
        if current is None or path.name != current.name:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    with contextlib.suppress(FileNotFoundError):
        (index_dir / f".{CURRENT}.{holder.get('pid')}").unlink()
    return (f"recovered from an interrupted index run (pid {holder.get('pid')}: {holder.get('command')}, "
            f"since {holder.get('since')})" + ("; removed its unfinished build" if removed else ""))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
