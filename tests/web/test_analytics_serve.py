"""Search analytics under a real `kb serve`: several workers write safely, a graceful stop writes
everything, and `kill -9` loses at most the last second and never corrupts the database."""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import AGENT_TOKEN, free_port

pytestmark = pytest.mark.e2e


class Server:
    """`kb serve` in its own process group, so a test can kill the arbiter and every worker at once."""

    def __init__(self, articles: Path, index: Path, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "KB_AGENT_TOKENS": AGENT_TOKEN, "KB_RATE_LIMIT": "1000000 per second"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "serve", "--port", str(self.port), "--workers", str(workers),
             "--no-watch", "--articles", str(articles), "--index", str(index)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop(signal.SIGKILL)
        self.log.seek(0)
        pytest.fail("kb serve did not start: " + self.log.read().decode(errors="replace"))

    def search(self, query: str) -> int:
        url = self.base + "/api/search?q=" + urllib.parse.quote(query)
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)
        self.log.close()


def events(database: Path) -> list[str]:
    with sqlite3.connect(database, timeout=30) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return [q for (q,) in connection.execute("SELECT query FROM events WHERE kind = 'search'")]


def test_several_workers_write_every_event_and_a_stop_flushes(kb_dir, index_dir):
    server = Server(kb_dir, index_dir, workers=3)
    sent, lock = [], threading.Lock()

    def client(n):
        for i in range(40):
            query = f"退款 client{n} search{i}"
            assert server.search(query) == 200
            with lock:
                sent.append(query)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop(signal.SIGTERM)  # graceful: every worker writes what it still holds
    recorded = events(index_dir.resolve().parent / "kb.sqlite3")
    assert sorted(recorded) == sorted(sent) and len(sent) == 320


def test_kill_9_loses_at_most_the_last_second(kb_dir, index_dir):
    server = Server(kb_dir, index_dir, workers=2)
    done: list[tuple[float, str]] = []  # (when the answer came, query)
    stop = threading.Event()

    def client(n):
        i = 0
        while not stop.is_set():
            query = f"提现 c{n} q{i}"
            try:
                if server.search(query) == 200:
                    done.append((time.monotonic(), query))
            except (OSError, http.client.HTTPException):
                return  # killed (mid-answer, too)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(4.0)
    killed_at = time.monotonic()
    server.stop(signal.SIGKILL)  # arbiter and workers, mid-traffic, mid-write perhaps
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    recorded = set(events(index_dir.resolve().parent / "kb.sqlite3"))  # integrity checked there
    answered = {q for t, q in done if t <= killed_at}
    older = {q for t, q in done if t <= killed_at - 1.0}
    assert len(older) >= 20, "too little traffic to tell"
    assert older <= recorded, f"{len(older - recorded)} events older than a second were lost"
    assert recorded <= answered
    # The database still takes writes: the next server records as before.
    server = Server(kb_dir, index_dir, workers=1)
    try:
        server.search("重启之后")
    finally:
        server.stop(signal.SIGTERM)
    assert "重启之后" in events(index_dir.resolve().parent / "kb.sqlite3")
