""""Was this helpful?" votes, kept in the site's database (`web.database`).

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from sqlalchemy import Integer, func, select

from web import database
from web.analytics import clean_text
from web.database import FEEDBACK


def record_vote(article_id: str, helpful: bool, query: str, **origin) -> None:
    """Store a vote; the query is masked (`kb.privacy`). `origin`: channel, lang, session and
    conversation, for the analytics (`web.analytics`)."""
    with database.engine().begin() as connection:
        connection.execute(FEEDBACK.insert().values(article_id=article_id, helpful=helpful,
                                                    query=clean_text(query), **origin))


def most_helpful(limit: int) -> list[str]:
    """Ids of the articles with the most "helpful" votes, most first."""
    helpful = func.sum(func.cast(FEEDBACK.c.helpful, Integer))
    query = (select(FEEDBACK.c.article_id).group_by(FEEDBACK.c.article_id).having(helpful > 0)
             .order_by(helpful.desc(), func.max(FEEDBACK.c.id).desc()).limit(limit))
    with database.engine().connect() as connection:
        return [row[0] for row in connection.execute(query)]


def is_same_site() -> bool:
    """Whether this request was sent by a page of this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (browsers send Origin on POST)
    return urlsplit(origin).netloc == request.host
