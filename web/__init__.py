"""web: the Flask application over the search index.

`create_app()` is the application factory (as in Flask's tutorial): defaults from
the environment via `kb.config.Settings`, overridable with `test_config`; each area
of the site is a blueprint registered here: `api` (JSON), `helpcenter` (public
pages), `agent` (the agent console), `ask` (the answer bot and hand-overs) and
`insights` (search analytics for agents). The web layer never opens Whoosh
itself: it asks `search.searcher.SearchIndex` for plain data.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.config import Settings, check_agent_tokens
from search.indexer import exists, sync_index
from search.live import LiveIndexer
from search.searcher import SearchIndex


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; `test_config` may set KB_ARTICLES, KB_INDEX, KB_AGENT_TOKENS (checked like the
    environment's), other KB_ settings and Flask keys."""
    app = Flask(__name__)
    overrides = test_config or {}
    settings = Settings.load(overrides.get("KB_ARTICLES"), overrides.get("KB_INDEX"))
    tokens = overrides.get("KB_AGENT_TOKENS", settings.agent_tokens)
    if isinstance(tokens, str):
        tokens = tuple(t.strip() for t in tokens.split(",") if t.strip())
    check_agent_tokens(tokens)
    from web.bodies import MAX_BODY

    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or persistent_secret(Path(overrides.get("KB_INDEX",
                                                                               settings.index_dir))),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        KB_ARTICLES=str(settings.articles_dir),
        KB_INDEX=str(settings.index_dir),
        KB_AGENT_TOKENS=tuple(tokens),
        KB_WATCH=settings.watch,
        KB_RATE_LIMIT=settings.rate_limit,
        KB_SIGN_IN_LIMIT=settings.sign_in_limit,
        KB_DATABASE_URL=settings.database_url,
        KB_SESSION_HOURS=settings.session_hours,
        KB_SECURE_COOKIES=settings.secure_cookies,
        KB_TRUSTED_PROXIES=settings.trusted_proxies,
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        KB_LOG=settings.log,
        KB_LOG_DAYS=settings.log_days,
        KB_HANDOVER_LIMIT=settings.handover_limit,
        KB_RATE_LIMIT_STORAGE=settings.rate_limit_storage,
        KB_MEANING=settings.meaning,
        JSON_SORT_KEYS=False,
    )
    app.config.update({k: v for k, v in overrides.items() if k != "KB_AGENT_TOKENS"})
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    if app.config["KB_TRUSTED_PROXIES"]:  # client address and scheme from the proxies' headers
        proxies = app.config["KB_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _log_index_updates()
    index_dir = Path(app.config["KB_INDEX"])
    if not exists(index_dir):
        # By words only: the server answers at once, and the live writer's first sync embeds the
        # passages where the meaning model is on (minutes for thousands of sections).
        report = sync_index(Path(app.config["KB_ARTICLES"]), index_dir)
        logging.getLogger("search").info("no index in %s: built one of %d articles in %.2fs", index_dir,
                                         report.articles, report.seconds)
    app.extensions["kb_index"] = SearchIndex(index_dir)
    if app.config["KB_WATCH"]:
        app.extensions["kb_live"] = LiveIndexer(Path(app.config["KB_ARTICLES"]), index_dir,
                                                meaning=app.config["KB_MEANING"]).start()
    elif app.config.get("KB_STARTUP_SYNC"):  # `kb serve --no-watch` on a built index: catch up once
        app.extensions["kb_live"] = LiveIndexer(Path(app.config["KB_ARTICLES"]), index_dir,
                                                watch=False, meaning=app.config["KB_MEANING"]).start()

    from web import (
        agent,
        analytics,
        api,
        ask,
        database,
        errors,
        helpcenter,
        i18n,
        insights,
        phones,
        ratelimit,
        security,
        sessions,
    )

    if not app.config["KB_AGENT_TOKENS"]:
        logging.getLogger("web").warning(
            "KB_AGENT_TOKENS is not set: nobody can sign in to the agent console at /agent/; "
            "set it to one or more comma-separated tokens (run `kb token` for one) and restart")
    app.session_interface = sessions.CookieSessionInterface()
    database.init_app(app)
    analytics.init_app(app, app.extensions["kb_database"])
    ratelimit.init_app(app)
    i18n.init_app(app)
    phones.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(helpcenter.bp)
    app.register_blueprint(agent.bp)
    app.register_blueprint(ask.bp)
    app.register_blueprint(insights.bp)
    return app


def beside_index(index_dir: Path, name: str) -> Path:
    """Where the site keeps a file of its own (session key, votes): beside the index folder."""
    return Path(index_dir).resolve().parent / name


def current_index() -> SearchIndex:
    """The search index of the app handling this request."""
    return current_app.extensions["kb_index"]


_per_version: dict[str, tuple] = {}


def per_index_version(name: str, index: SearchIndex, build):
    """`build(index)`, computed once per index version (when the index was written and how many
    articles it holds) and kept under `name` until the next one."""
    health = index.health()
    key = (id(index), health.get("indexed_at"), health.get("articles"))
    cached = _per_version.get(name)
    if cached is None or cached[0] != key:
        cached = _per_version[name] = (key, build(index))
    return cached[1]


def _log_index_updates() -> None:
    """Index rebuilds, live updates and start-up warnings are logged to stderr, also under a
    bare gunicorn."""
    if logging.getLogger().handlers:
        return  # `kb serve` or the host application configured logging
    for name in ("search", "web"):
        logger = logging.getLogger(name)
        if logger.handlers:
            continue
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def persistent_secret(index_dir: Path) -> str:
    """A session-signing key kept beside the index, so every process and restart shares it."""
    path = beside_index(index_dir, "secret_key")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            secret = path.read_text().strip()
            if secret:
                return secret
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty; delete it to make a new session key") from None
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
