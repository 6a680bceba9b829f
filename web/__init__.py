"""web: the Flask application over the search index.

`create_app()` is the application factory (as in Flask's tutorial): defaults from
the environment via `kb.config.Settings`, overridable with `test_config`; each area
of the site is a blueprint registered here. The web layer never opens Whoosh
itself: it asks `search.searcher.SearchIndex` for plain data.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from kb.config import Settings
from search.indexer import exists, sync_index
from search.searcher import SearchIndex


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; `test_config` may set KB_ARTICLES, KB_INDEX, KB_AGENT_TOKENS and Flask keys."""
    app = Flask(__name__)
    overrides = test_config or {}
    settings = Settings.load(overrides.get("KB_ARTICLES"), overrides.get("KB_INDEX"))
    tokens = overrides.get("KB_AGENT_TOKENS", settings.agent_tokens)
    if isinstance(tokens, str):
        tokens = tuple(t.strip() for t in tokens.split(",") if t.strip())
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        KB_ARTICLES=str(settings.articles_dir),
        KB_INDEX=str(settings.index_dir),
        KB_AGENT_TOKENS=tuple(tokens),
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in overrides.items() if k != "KB_AGENT_TOKENS"})
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    index_dir = Path(app.config["KB_INDEX"])
    if not exists(index_dir):
        sync_index(Path(app.config["KB_ARTICLES"]), index_dir)
    app.extensions["kb_index"] = SearchIndex(index_dir)

    from web import api

    app.register_blueprint(api.bp)
    return app
