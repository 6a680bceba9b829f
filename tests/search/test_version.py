"""Index versions: a new version is loaded off the search path (search.version)."""

from __future__ import annotations

import gc
import shutil
import time
from pathlib import Path

from search.indexer import sync_index
from search.version import Versions

ROOT = Path(__file__).resolve().parents[2]


def test_a_version_loads_with_the_garbage_collector_paused(tmp_path):
    """Loading a version makes objects that all live as long as it does; a full collection over
    them stops every thread of the process (on tldr, 20 in 7 seconds held every request of a
    worker). The collector is paused while a version loads — the first and a reload after an edit
    — and runs again afterwards."""
    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    sync_index(articles, index_dir)
    seen: list[bool] = []
    versions = Versions(index_dir, prepare=lambda state: seen.append(gc.isenabled()))
    try:
        assert gc.isenabled()
        first = versions.refresh()
        page = next(articles.rglob("*.md"))
        page.write_text(page.read_text("utf-8") + "\n\n补充说明。\n", "utf-8")
        sync_index(articles, index_dir)
        deadline = time.monotonic() + 30
        while versions.refresh() is first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert versions.current() is not first
        assert seen == [False, False]  # both loads, the follower's or this thread's, ran paused
        assert gc.isenabled()
    finally:
        versions.close()
