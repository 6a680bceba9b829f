"""`kb serve` on a built index serves at once and brings it up to date in the background: a file
edited or removed while the server was stopped is served fresh within seconds of the start; an
index that is missing is built before anything is served."""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from search.indexer import sync_index
from tests.conftest import eventually, running_kb_serve

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
WORD = "zorblaxian"  # a word no article holds
FAST = {"KB_RATE_LIMIT": "1000000 per second"}


def ids(base: str, query: str) -> list[str]:
    with urllib.request.urlopen(base + "/api/search?q=" + urllib.parse.quote(query), timeout=30) as response:
        return [a["id"] for a in json.loads(response.read())["articles"]]


@pytest.mark.parametrize("watch", [True, False], ids=["watching", "no-watch"])
def test_files_changed_while_stopped_are_served_soon_after_start(tmp_path, watch):
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    sync_index(articles, index)
    edited, removed = articles / "refunds" / "refund-timeline.md", articles / "faq" / "faq-withdraw.md"
    with running_kb_serve(articles, index, "--workers", "2", env=FAST) as base:
        assert "faq-withdraw" in ids(base, "提现")

    with edited.open("a", encoding="utf-8") as handle:  # while no server runs
        handle.write(f"\n退款单号以 {WORD} 开头的，是跨境退款。\n")
    removed.unlink()
    log = tmp_path / "serve.log"
    args = ("--workers", "2") if watch else ("--workers", "2", "--no-watch")
    with running_kb_serve(articles, index, *args, env=FAST, log_path=log) as base:
        assert "start-up index sync runs in the background" in log.read_text()
        eventually(lambda: ids(base, WORD) == ["refund-timeline"], timeout=30)
        eventually(lambda: "faq-withdraw" not in ids(base, "提现"), timeout=10)
        eventually(lambda: "start-up index sync (incremental)" in log.read_text(), timeout=10)
        assert "+0 ~1 -1" in log.read_text()


def test_a_missing_index_is_built_before_serving(tmp_path):
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    path = tmp_path / "serve.log"
    with running_kb_serve(articles, index, "--workers", "2", "--no-watch", env=FAST, log_path=path) as base:
        log = path.read_text()
        assert f"no index in {index}: building it before serving" in log
        assert log.index("start-up index sync (full)") < log.index("serving on")
        assert "refund-timeline" in ids(base, "退款多久到账")  # the first search finds the built index
