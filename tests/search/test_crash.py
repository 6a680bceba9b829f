"""`kill -9` at any moment of an index run leaves the previous index answering exactly as before,
and the next run recovers by itself (flock locks die with their process)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import common
from search.indexer import sync_index
from search.searcher import SearchIndex

QUERIES = ["退款多久到账", "提现手续费", "refund still pending", "冻结账户", "话题 17", "topic 230"]
TOPICS = 400


def write_generated(root: Path, marker: str = "") -> None:
    """Enough articles that a build takes a while, so the kills land in the middle of it."""
    folder = root / "generated"
    folder.mkdir(exist_ok=True)
    for n in range(TOPICS):
        (folder / f"t{n}.md").write_text(
            f"---\ntitle: 话题 {n} topic {n}\ntags: [话题{n % 7}]\n---\n"
            + "".join(f"## 第 {k} 节 section {k}\n退款 提现 账户 {marker} 第 {n} 篇第 {k} 段，"
                      f"refund withdraw account paragraph {k} of topic {n}.\n\n" for k in range(6)),
            "utf-8")


def answers(index_dir: Path) -> list:
    return common.answers(index_dir, QUERIES)


def run_and_kill(args: list[str], delay: float) -> int | None:
    """Start `kb ...` in its own process group and SIGKILL the whole group after `delay` seconds."""
    process = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    finished = process.poll()
    if finished is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return finished


@pytest.fixture
def big_kb(kb_dir, index_dir):
    write_generated(kb_dir)
    started = time.monotonic()
    sync_index(kb_dir, index_dir, rebuild=True)
    return kb_dir, index_dir, time.monotonic() - started


def test_kill_during_rebuild_keeps_the_previous_index(big_kb):
    kb_dir, index_dir, build_seconds = big_kb
    before = answers(index_dir)
    args = ["index", "--rebuild", "--articles", str(kb_dir), "--index", str(index_dir)]
    killed = 0
    for fraction in (0.15, 0.4, 0.65, 0.9):
        if run_and_kill(args, build_seconds * fraction + 0.3) is None:
            killed += 1
        assert answers(index_dir) == before
    assert killed >= 2, "the builds finished before they could be killed"
    rerun = subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr  # no stale lock, no leftovers in the way
    assert answers(index_dir) == before
    assert len(list(index_dir.glob("gen-*"))) <= 2  # killed builds' folders are cleaned up


def test_kill_during_incremental_update_is_all_or_nothing(big_kb):
    kb_dir, index_dir, build_seconds = big_kb
    before = answers(index_dir)
    write_generated(kb_dir, marker="新版本")
    args = ["index", "--articles", str(kb_dir), "--index", str(index_dir)]
    for fraction in (0.2, 0.5, 0.8):
        run_and_kill(args, build_seconds * fraction + 0.3)
        index = SearchIndex(index_dir)
        updated = len(index.search("新版本", limit=50).articles)
        index.close()
        assert updated in (0, 50)  # the old index, or the whole update: never part of it
        if updated == 0:
            assert answers(index_dir) == before
    rerun = subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    index = SearchIndex(index_dir)
    assert index.search("新版本").total == TOPICS
    index.close()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux) to find worker processes")
def test_killing_only_the_parent_of_a_parallel_rebuild_leaves_no_worker_and_no_lock(big_kb):
    """Issue 13 item 2: `kill -9` of `kb index --rebuild` (the parent alone, as the OOM killer does)
    must not leave worker processes holding the write lock."""
    kb_dir, index_dir, _ = big_kb
    before = answers(index_dir)
    args = ["index", "--rebuild", "--workers", "2", "--articles", str(kb_dir), "--index", str(index_dir)]
    process = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
            workers = common.descendants(process.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the rebuild started no worker processes"
        os.kill(process.pid, signal.SIGKILL)  # the parent only
        process.wait()
        deadline = time.monotonic() + 10
        while any(common.alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if common.alive(pid)], "worker processes outlived their parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    rerun = subprocess.run([sys.executable, "-m", "kb.cli", "index", "--articles", str(kb_dir),
                            "--index", str(index_dir)], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "recovered" in rerun.stderr + rerun.stdout
    assert answers(index_dir) == before
    assert len(list(index_dir.glob("gen-*"))) == 1  # the killed build's folder is gone


def test_a_held_lock_is_a_clear_error_not_a_traceback(kb_dir, index_dir):
    from search import store

    sync_index(kb_dir, index_dir)
    with store.writer_lock(index_dir):
        out = subprocess.run([sys.executable, "-c", "from search import store; import sys; "
                              "from kb.cli import main; sys.argv = ['kb', 'index', '--articles', "
                              f"{str(kb_dir)!r}, '--index', {str(index_dir)!r}]; "
                              "store.LOCK_TIMEOUT = 0.5; main()"],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"pid {os.getpid()}" in out.stderr and "writing the index" in out.stderr
