"""The API through a real `kb serve` process on a free port."""

import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from search import store
from search.indexer import sync_index
from tests.conftest import AGENT_TOKEN, eventually, running_kb_serve

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server(kb_dir, index_dir):
    with running_kb_serve(kb_dir, index_dir) as base:
        yield base


def test_serve_indexes_first_and_answers(server):
    status, health = get(server + "/healthz", AGENT)
    assert status == 200 and health["articles"] == 9
    status, body = get(server + "/api/search?q=" + urllib.parse.quote("refund still pending"))
    assert status == 200 and body["answers"][0]["url"] == "/articles/en/refund#refund-still-pending"
    status, body = get(server + "/api/articles/ops/escalation")
    assert status == 404
    status, body = get(server + "/api/articles/ops/escalation", {"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert status == 200 and body["visibility"] == "internal"


def first_article(base: str, query: str) -> str | None:
    _, body = get(base + "/api/search?q=" + urllib.parse.quote(query))
    return body["articles"][0]["id"] if body["articles"] else None


@pytest.mark.parametrize("workers", ["1", "3"])
def test_saved_article_is_live_within_two_seconds_on_every_worker(kb_dir, index_dir, workers):
    with running_kb_serve(kb_dir, index_dir, "--workers", workers) as base:
        # Every worker started, the writer elected and its indexing process ready: a first save
        # is searchable (start-up is not what the promise is about).
        (kb_dir / "payments/first.md").write_text("# 开张第一篇\n\n服务就绪。\n", "utf-8")
        eventually(lambda: first_article(base, "开张第一篇") == "payments/first", timeout=20)
        (kb_dir / "payments/live.md").write_text("# 实时生效的文章\n\n保存即可搜索。\n", "utf-8")
        # Twelve requests in a row spread over the workers: all of them must see it.
        seconds = eventually(lambda: all(first_article(base, "实时生效的文章") == "payments/live"
                                       for _ in range(12)), timeout=4)
        assert seconds < 2.0
        (kb_dir / "payments/live.md").write_text("---\ntitle: [broken\n---\n", "utf-8")
        eventually(lambda: get(base + "/healthz", AGENT)[1]["errors"], timeout=4)
        assert first_article(base, "实时生效的文章") == "payments/live"  # last good version


def test_corrupt_index_is_rebuilt_on_start(kb_dir, index_dir, tmp_path):
    sync_index(kb_dir, index_dir)
    generation = store.current_generation(index_dir)
    for path in generation.iterdir():
        if path.suffix in (".toc", ".seg", ".pst", ".trm"):
            path.write_bytes(b"\x00garbage" * 10)
    log = tmp_path / "serve.log"
    with running_kb_serve(kb_dir, index_dir, log_path=log) as base:
        assert get(base + "/healthz", AGENT)[1]["articles"] == 9
        assert first_article(base, "退款多久到账") == "refund-timeline"
    lines = [line for line in log.read_text().splitlines() if "unreadable" in line]
    assert len(lines) == 1 and "rebuilding" in lines[0]


def test_missing_index_is_built_on_start(kb_dir, tmp_path):
    log = tmp_path / "serve.log"
    with running_kb_serve(kb_dir, tmp_path / "nowhere" / "index", log_path=log) as base:
        assert get(base + "/healthz", AGENT)[1]["articles"] == 9
    assert re.search(r"start-up index sync \(full\): 9 articles, .* in \d+\.\d\ds", log.read_text())


def test_serve_without_agent_tokens_says_so(kb_dir, index_dir, tmp_path):
    """The README's `make serve` path sets no tokens: one log line and a sign-in page that explain it."""
    log = tmp_path / "serve.log"
    with running_kb_serve(kb_dir, index_dir, env={"KB_AGENT_TOKENS": ""}, log_path=log) as base:
        with urllib.request.urlopen(base + "/agent/", timeout=10) as response:
            page = response.read().decode()
        assert "KB_AGENT_TOKENS" in page and 'name="token"' not in page
        lines = [line for line in log.read_text().splitlines() if "KB_AGENT_TOKENS is not set" in line]
        assert len(lines) == 1 and "WARNING" in lines[0]


def test_slow_clients_do_not_starve_the_workers(kb_dir, index_dir):
    """Issue 13 item 5: connections sending one byte per second (and reconnecting when dropped, as
    slowloris does) must not take the site down."""
    with running_kb_serve(kb_dir, index_dir) as base:
        address = ("127.0.0.1", int(base.rsplit(":", 1)[1]))
        request = b"GET /api/search?q=%E9%80%80%E6%AC%BE HTTP/1.1\r\nHost: x\r\n"
        slow = [socket.create_connection(address, timeout=5) for _ in range(40)]
        try:
            worst = 0.0
            for second in range(5):
                for n, sock in enumerate(slow):
                    try:
                        sock.sendall(request[second:second + 1])  # one byte per second each
                    except OSError:  # the server dropped it: come back at once
                        sock.close()
                        slow[n] = socket.create_connection(address, timeout=5)
                started = time.monotonic()
                status, _ = get(base + "/healthz")
                worst = max(worst, time.monotonic() - started)
                assert status == 200
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
            assert worst < 1.0, f"/healthz took {worst:.2f}s behind 40 slow clients"
        finally:
            for sock in slow:
                sock.close()


def test_bodies_are_capped_through_the_real_server(server):
    """Chunked bodies (no Content-Length) are capped like the others: 413, never read whole."""
    import http.client

    split = urllib.parse.urlsplit(server)
    for body, status in ((b"{" + b" " * 100_000 + b"}", 413),
                         (b'{"article_id": "refund-timeline", "helpful": true}', 201)):
        connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
        connection.request("POST", "/api/feedback", body=iter([body]), encode_chunked=True,
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        assert connection.getresponse().status == status
        connection.close()
