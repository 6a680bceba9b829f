"""`kb serve` on a built index serves at once and brings it up to date in the background: a file
edited or removed while the server was stopped is served fresh within seconds of the start; an
index that is missing is built before anything is served."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from search.indexer import sync_index
from tests.conftest import AGENT_TOKEN, free_port

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
WORD = "zorblaxian"  # a word no article holds


class Server:
    """`kb serve` in its own process group, stopped with every worker."""

    def __init__(self, articles: Path, index: Path, *args: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "KB_AGENT_TOKENS": AGENT_TOKEN, "KB_RATE_LIMIT": "1000000 per second"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve", "--port", str(self.port), "--articles", str(articles),
             "--index", str(index), *args],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("kb serve did not start: " + self.output())

    def ids(self, query: str) -> list[str]:
        url = self.base + "/api/search?q=" + urllib.parse.quote(query)
        with urllib.request.urlopen(url, timeout=30) as response:
            return [a["id"] for a in json.loads(response.read())["articles"]]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@pytest.fixture
def server():
    started = []

    def start(*args) -> Server:
        started.append(Server(*args))
        return started[-1]

    yield start
    for one in started:
        one.stop()
        one.log.close()


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize("watch", [True, False], ids=["watching", "no-watch"])
def test_files_changed_while_stopped_are_served_soon_after_start(tmp_path, server, watch):
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    sync_index(articles, index)
    edited, removed = articles / "refunds" / "refund-timeline.md", articles / "faq" / "faq-withdraw.md"
    removed_id = "faq-withdraw"
    first = server(articles, index, "--workers", "2")
    assert removed_id in first.ids("提现")
    first.stop()

    with edited.open("a", encoding="utf-8") as handle:  # while no server runs
        handle.write(f"\n退款单号以 {WORD} 开头的，是跨境退款。\n")
    removed.unlink()
    second = server(articles, index, "--workers", "2", *([] if watch else ["--no-watch"]))
    assert "start-up index sync runs in the background" in second.output()
    assert _wait_for(lambda: second.ids(WORD) == ["refund-timeline"], 30), second.output()
    assert _wait_for(lambda: removed_id not in second.ids("提现"), 10)
    assert _wait_for(lambda: "start-up index sync (incremental)" in second.output(), 10), second.output()
    assert "+0 ~1 -1" in second.output()


def test_a_missing_index_is_built_before_serving(tmp_path, server):
    articles, index = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    started = server(articles, index, "--workers", "2", "--no-watch")
    log = started.output()
    assert f"no index in {index}: building it before serving" in log
    assert "start-up index sync (full)" in log
    assert log.index("start-up index sync (full)") < log.index("serving on")
    assert "refund-timeline" in started.ids("退款多久到账")  # the first search finds the built index
