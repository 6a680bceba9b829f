"""The web app with the meaning model on (KB_MEANING): served through its live writer."""

from __future__ import annotations

from tests.conftest import eventually, make_app
from tests.search.test_passages import PARAPHRASE, write_pages


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
