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
import secrets
from urllib.parse import urlsplit

from flask import request
from sqlalchemy import Integer, and_, func, select
from sqlalchemy.exc import IntegrityError

from web import database
from web.database import FEEDBACK, VOTE_SALTS


def record_vote(article_id: str, helpful: bool, query: str, voter: str) -> None:
    """Store `voter`'s vote on `article_id`, replacing the one they gave before."""
    values = {"helpful": helpful, "query": query, "created_at": dt.datetime.now(dt.UTC)}
    same = and_(FEEDBACK.c.article_id == article_id, FEEDBACK.c.voter == voter)
    with database.engine().begin() as connection:
        if connection.execute(FEEDBACK.update().where(same).values(values)).rowcount:
            return
        try:
            with connection.begin_nested():
                connection.execute(FEEDBACK.insert().values(article_id=article_id, voter=voter, **values))
        except IntegrityError:  # the same visitor's vote, inserted by a concurrent request
            connection.execute(FEEDBACK.update().where(same).values(values))


def voter_id() -> str:
    """This visitor, as a hash of their address under today's salt."""
    address = request.remote_addr or ""
    return hashlib.sha256(f"{_salt_of_today()}|{address}".encode()).hexdigest()


def _salt_of_today() -> str:
    today = dt.date.today().isoformat()
    with database.engine().begin() as connection:
        salt = connection.execute(select(VOTE_SALTS.c.salt).where(VOTE_SALTS.c.day == today)).scalar()
        if salt is not None:
            return salt
        connection.execute(VOTE_SALTS.delete().where(VOTE_SALTS.c.day != today))
        try:
            with connection.begin_nested():
                connection.execute(VOTE_SALTS.insert().values(day=today, salt=secrets.token_hex(32)))
        except IntegrityError:  # another worker made today's salt first
            pass
        return connection.execute(select(VOTE_SALTS.c.salt).where(VOTE_SALTS.c.day == today)).scalar_one()


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
