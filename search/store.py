"""Where an index lives on disk, and how a new one replaces the old atomically.

    INDEX_DIR/current      symlink to the generation being served
    INDEX_DIR/gen-*/       Whoosh index folders, one per full build
    INDEX_DIR/write.lock   held (flock) by the one process that writes

A full build writes a new generation and then swaps `current` with one
`rename()`, so readers see either the old index or the new one, never half of
one. Incremental updates go into the current generation through Whoosh's own
commit, which writes its table of contents last. Locks are `flock()` locks: the
kernel drops them when a process dies, so a `kill -9` never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

CURRENT = "current"
LOCK_FILE = "write.lock"


def current_generation(index_dir: Path) -> Path | None:
    """The generation folder being served, or None when there is none yet."""
    link = index_dir / CURRENT
    try:
        target = index_dir / os.readlink(link)
    except OSError:
        return None
    return target if target.is_dir() else None


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


@contextlib.contextmanager
def writer_lock(index_dir: Path, timeout: float = 60.0):
    """Hold the index's write lock; waits up to `timeout` seconds for another writer."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process is writing the index in {index_dir}") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
