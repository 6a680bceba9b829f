""""Was this helpful?" votes, kept in the site's database (`web.database`).

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import request
from sqlalchemy import Integer, func, select
from sqlalchemy.exc import SQLAlchemyError

from web import database
from web.database import FEEDBACK

log = logging.getLogger(__name__)


def record_vote(article_id: str, helpful: bool, query: str) -> None:
    with database.engine().begin() as connection:
        connection.execute(FEEDBACK.insert().values(article_id=article_id, helpful=helpful, query=query))


def most_helpful(limit: int) -> list[str]:
    """Ids of the articles with the most "helpful" votes, most first; none while the database is down
    (the pages that offer them then offer recent articles instead of failing)."""
    helpful = func.sum(func.cast(FEEDBACK.c.helpful, Integer))
    query = (select(FEEDBACK.c.article_id).group_by(FEEDBACK.c.article_id).having(helpful > 0)
             .order_by(helpful.desc(), func.max(FEEDBACK.c.id).desc()).limit(limit))
    try:
        with database.engine().connect() as connection:
            return [row[0] for row in connection.execute(query)]
    except SQLAlchemyError as exc:
        log.warning("cannot read votes (%s); offering recent articles instead", type(exc).__name__)
        return []


def is_same_site() -> bool:
    """Whether this request was sent by a page of this site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (browsers send Origin on POST)
    return urlsplit(origin).netloc == request.host
