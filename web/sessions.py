"""Agent sessions, kept server-side in the site's database (`web.database.SESSIONS`).

Signing in with a valid token creates a session: the browser gets only a random
256-bit session id, in the `kb_agent` cookie (HttpOnly, SameSite=Lax, and Secure
with `KB_SECURE_COOKIES` or whenever the request came over HTTPS). The database keeps
the SHA-256 of that id (a copy of the table opens nothing), when it expires
(`KB_SESSION_HOURS` after sign-in, 12 by default) and a digest of the token keyed with
the app's secret key, so removing a token from `KB_AGENT_TOKENS` ends its sessions.
Signing out deletes the row: a copy of the cookie stops working everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from web import database
from web.database import SESSIONS

COOKIE = "kb_agent"


def token_digest(token: str) -> str:
    """A digest of `token` keyed with the app's secret key (what a session row keeps)."""
    return hmac.new(current_app.secret_key.encode(), token.encode("utf-8"), hashlib.sha256).hexdigest()


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start(token: str) -> str:
    """A new session for a valid `token`; returns the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = _now()
    with database.engine().begin() as connection:
        connection.execute(SESSIONS.delete().where(SESSIONS.c.expires_at < now))  # tidy up
        connection.execute(SESSIONS.insert().values(
            id_hash=_id_hash(session_id), token_digest=token_digest(token), created_at=now,
            expires_at=now + dt.timedelta(hours=current_app.config["KB_SESSION_HOURS"])))
    return session_id


def current_token_digest() -> str | None:
    """The token digest of this request's session, if it has one that has not expired."""
    session_id = request.cookies.get(COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    with database.engine().connect() as connection:
        row = connection.execute(select(SESSIONS.c.token_digest, SESSIONS.c.expires_at)
                                 .where(SESSIONS.c.id_hash == _id_hash(session_id))).first()
    if row is None or _aware(row.expires_at) <= _now():
        return None
    return row.token_digest


def end() -> None:
    """End this request's session, wherever its cookie has been copied."""
    session_id = request.cookies.get(COOKIE)
    if session_id:
        with database.engine().begin() as connection:
            connection.execute(SESSIONS.delete().where(SESSIONS.c.id_hash == _id_hash(session_id)))


def set_cookie(response, session_id: str) -> None:
    response.set_cookie(COOKIE, session_id, max_age=int(current_app.config["KB_SESSION_HOURS"] * 3600),
                        httponly=True, samesite="Lax", secure=cookie_secure())


def clear_cookie(response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="Lax", secure=cookie_secure())


def cookie_secure() -> bool:
    """Whether cookies get the Secure flag: by setting, and always for requests over HTTPS."""
    return bool(current_app.config["KB_SECURE_COOKIES"]) or request.is_secure


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie (it carries the forms' CSRF token, nothing else), Secure as above."""

    def get_cookie_secure(self, app) -> bool:
        return cookie_secure()
