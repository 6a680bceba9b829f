"""`kill -9` at any moment of an index run leaves the previous index answering exactly as before,
and the next run recovers by itself (flock locks die with their process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    index = SearchIndex(index_dir)
    try:
        found = []
        for query in QUERIES:
            results = index.search(query)
            scores = [round(a.score, 4) for a in results.articles]
            # Articles tied with the last one shown may come in any order after a rebuild.
            sure = sorted(a.id for a in results.articles if round(a.score, 4) > min(scores, default=0))
            found.append((results.total, scores, sure))
        return found
    finally:
        index.close()


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
