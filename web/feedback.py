""""Was this helpful?" votes, kept in the site's database (`web.database`).

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from sqlalchemy import Integer, func, select

from web import database
from web.analytics import vote_origin
from web.database import FEEDBACK


def record_vote(article_id: str, helpful: bool, query: str, channel: str, conversation: str | None = None
                ) -> None:
    """Store a vote, in the bot's `conversation` if any; with analytics on, also where it came
    from (`web.analytics.vote_origin`: masked query, channel, language, session hash)."""
    with database.engine().begin() as connection:
        connection.execute(FEEDBACK.insert().values(article_id=article_id, helpful=helpful,
                                                    conversation=conversation, **vote_origin(query, channel)))


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
