""""Was this helpful?" votes, kept in a SQLite file beside the index.

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, request

from web import beside_index

SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    query TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
)"""
_lock = threading.Lock()


def database_path() -> Path:
    """`feedback.sqlite3` in the folder that holds the index folder."""
    return beside_index(current_app.config["KB_INDEX"], "feedback.sqlite3")


@contextlib.contextmanager
def _database():
    """A connection to the votes database (created on first use), committed and closed after."""
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection, connection:
        connection.execute(SCHEMA)
        yield connection


def record_vote(article_id: str, helpful: bool, query: str) -> None:
    with _lock, _database() as connection:
        connection.execute("INSERT INTO feedback (article_id, helpful, query) VALUES (?, ?, ?)",
                           (article_id, int(helpful), query))


def most_helpful(limit: int) -> list[str]:
    """Ids of the articles with the most "helpful" votes, most first."""
    if not database_path().exists():
        return []  # no votes yet: reading must not create the file
    with _database() as connection:
        rows = connection.execute(
            "SELECT article_id FROM feedback GROUP BY article_id HAVING SUM(helpful) > 0 "
            "ORDER BY SUM(helpful) DESC, MAX(id) DESC LIMIT ?", (limit,)).fetchall()
    return [row[0] for row in rows]


def is_same_site() -> bool:
    """Whether this request was sent by a page of this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (browsers send Origin on POST)
    return urlsplit(origin).netloc == request.host
