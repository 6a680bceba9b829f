"""The API through a real `kb serve` process on a free port."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import AGENT_TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def server(kb_dir, index_dir):
    port = free_port()
    env = {**os.environ, "KB_AGENT_TOKENS": AGENT_TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port),
                                "--articles", str(kb_dir), "--index", str(index_dir)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("kb serve did not start: " + process.stdout.read().decode(errors="replace"))
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_serve_indexes_first_and_answers(server):
    status, health = get(server + "/healthz")
    assert status == 200 and health["articles"] == 9
    status, body = get(server + "/api/search?q=" + urllib.parse.quote("refund still pending"))
    assert status == 200 and body["answers"][0]["url"] == "/articles/en/refund#refund-still-pending"
    status, body = get(server + "/api/articles/ops/escalation")
    assert status == 404
    status, body = get(server + "/api/articles/ops/escalation", {"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert status == 200 and body["visibility"] == "internal"
