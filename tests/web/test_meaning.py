"""The web app with the meaning model on (KB_MEANING): served through its live writer."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.conftest import AGENT_TOKEN, eventually, make_app, running_kb_serve
from tests.search.test_passages import PAGES, PARAPHRASE, write_pages


def test_a_served_knowledge_base_with_meaning_on_answers_by_it(tmp_path, monkeypatch, agent_headers):
    """The web app's first build is by words (it answers at once); its live writer embeds."""
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    articles = write_pages(tmp_path / "articles")
    app = make_app(articles, tmp_path / "index", KB_MEANING=True, KB_WATCH=True)
    client = app.test_client()
    try:
        eventually(lambda: client.get("/healthz", headers=agent_headers).get_json()["meaning_articles"] > 0,
                   timeout=60)
        found = client.get("/api/search", query_string={"q": PARAPHRASE}).get_json()
        assert found["articles"][0]["id"] == "renderer"
    finally:
        app.extensions["kb_live"].stop()


@pytest.mark.e2e
def test_kb_serve_with_meaning_on_answers_by_it_once_its_writer_has_embedded(tmp_path):
    """A folder without an index: `kb serve` builds it by words and serves; its live writer
    embeds the passages, and the workers then answer by them."""
    articles = write_pages(tmp_path / "articles")
    env = {"KB_MEANING": "on", "KB_CACHE_DIR": str(tmp_path / "cache")}
    with running_kb_serve(articles, tmp_path / "index", "--workers", "2", env=env) as base:
        def health() -> dict:
            request = urllib.request.Request(base + "/healthz",
                                             headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)

        def first() -> str:
            url = base + "/api/search?" + urllib.parse.urlencode({"q": PARAPHRASE})
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)["articles"][0]["id"]

        eventually(lambda: health()["meaning_articles"] == len(PAGES), timeout=60)
        # Each worker follows the index within half a second: every one answers by meaning then.
        eventually(lambda: all(first() == "renderer" for _ in range(6)), timeout=5)
