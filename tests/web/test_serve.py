"""The API through a real `kb serve` process on a free port."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.conftest import AGENT_TOKEN, running_kb_serve


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
    status, health = get(server + "/healthz")
    assert status == 200 and health["articles"] == 9
    status, body = get(server + "/api/search?q=" + urllib.parse.quote("refund still pending"))
    assert status == 200 and body["answers"][0]["url"] == "/articles/en/refund#refund-still-pending"
    status, body = get(server + "/api/articles/ops/escalation")
    assert status == 404
    status, body = get(server + "/api/articles/ops/escalation", {"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert status == 200 and body["visibility"] == "internal"
