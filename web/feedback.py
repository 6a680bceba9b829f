""""Was this helpful?" votes, kept in the site's database (`web.database`).

Posts must come from this site (same-origin `Origin`, or `Sec-Fetch-Site` of
`same-origin`) and be JSON, so another site cannot vote in a visitor's name.

One vote per visitor and article: a visitor is their client address under the day's
random salt (`voter_id`), hashed, so no address is stored and the hashes of a day can
no longer be linked to addresses once its salt is deleted. Voting again replaces the
visitor's earlier vote, so a script sending 120 votes from one address counts once and
cannot rewrite the "popular articles" list (the public rate limit bounds the rest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Integer, and_, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from web import database
from web.analytics import daily_salt, local_day, vote_origin
from web.database import FEEDBACK

log = logging.getLogger(__name__)
# Answers to "what was missing?" after a "not helpful" vote (labels: `reason_*` in web.i18n).
REASONS = ("not_answered", "unclear", "outdated", "didnt_work", "other")
MAX_COMMENT = 500
REASON_WINDOW = 24 * 3600  # seconds a vote can still be explained


def record_vote(article_id: str, helpful: bool, query: str, channel: str, conversation: str | None = None
                ) -> int:
    """Store this visitor's vote on `article_id` (in the bot's `conversation`, if any), replacing
    the one they gave before; returns its id. With analytics on, the row also keeps where it
    came from (`web.analytics.vote_origin`: masked query, channel, language, session hash)."""
    values = {"helpful": helpful, "created_at": dt.datetime.now(dt.UTC), "reason": "", "comment": "",
              "conversation": conversation, **vote_origin(query, channel)}
    voter = voter_id()
    same = and_(FEEDBACK.c.article_id == article_id, FEEDBACK.c.voter == voter)
    with database.engine().begin() as connection:
        earlier = connection.execute(select(FEEDBACK.c.id).where(same)).scalar()
        if earlier is None:
            try:
                with connection.begin_nested():
                    inserted = connection.execute(FEEDBACK.insert().values(article_id=article_id, voter=voter,
                                                                           **values))
                return inserted.inserted_primary_key[0]
            except IntegrityError:  # the same visitor's vote, inserted by a concurrent request
                earlier = connection.execute(select(FEEDBACK.c.id).where(same)).scalar_one()
        connection.execute(FEEDBACK.update().where(FEEDBACK.c.id == earlier).values(values))
        return earlier


def voter_id() -> str:
    """This visitor, as a hash of their address under today's salt (`web.analytics.daily_salt`)."""
    salt = daily_salt(database.engine(), local_day())
    return hashlib.sha256(f"{salt}|{request.remote_addr or ''}".encode()).hexdigest()


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
