""""Was this helpful?" votes, kept in the site's database (`web.database`).

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Integer, func, select

from web import database
from web.database import FEEDBACK

# Answers to "what was missing?" after a "not helpful" vote (labels: `reason_*` in web.i18n).
REASONS = ("not_answered", "unclear", "outdated", "didnt_work", "other")
MAX_COMMENT = 500
REASON_WINDOW = 24 * 3600  # seconds a vote can still be explained


def record_vote(article_id: str, helpful: bool, query: str) -> int:
    """Store a vote; returns its id."""
    with database.engine().begin() as connection:
        inserted = connection.execute(FEEDBACK.insert().values(article_id=article_id, helpful=helpful,
                                                                query=query))
        return inserted.inserted_primary_key[0]


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


def record_reason(vote_id: int, reason: str, comment: str) -> bool:
    """Store what a "not helpful" vote says was missing; False if there is no such vote.
    Control characters other than line breaks are dropped from the comment."""
    comment = "".join(c for c in comment if c == "\n" or unicodedata.category(c) != "Cc").strip()
    with database.engine().begin() as connection:
        updated = connection.execute(FEEDBACK.update()
                                     .where(FEEDBACK.c.id == vote_id, FEEDBACK.c.helpful.is_(False))
                                     .values(reason=reason, comment=comment))
    return updated.rowcount == 1


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kb-feedback-vote")


def vote_token(vote_id: int) -> str:
    """A signed token naming the vote, so only the page that voted can explain it."""
    return _signer().dumps(vote_id)


def vote_of(token: str) -> int | None:
    """The vote id in a token from `vote_token`, None if it is forged or older than a day."""
    try:
        vote_id = _signer().loads(token, max_age=REASON_WINDOW)
    except BadData:
        return None
    return vote_id if isinstance(vote_id, int) else None
