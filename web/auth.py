"""Who is asking: an agent or the public.

Agents prove themselves with a token from `KB_AGENT_TOKENS`, presented one of two
ways: an `Authorization: Bearer` header (API clients), or the console's sign-in form,
which opens a server-side session (`web.sessions`; the cookie holds only a random
session id). Both ways share one limit on failed attempts per client address
(`web.ratelimit`, `KB_SIGN_IN_LIMIT`): over it, every presented token is refused with
429, right or wrong, until the window passes. Tokens are compared in constant time,
against all configured tokens, and never logged or echoed.

The answer is worked out once per request (`flask.g`), however often it is asked.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, g, request
from werkzeug.exceptions import TooManyRequests

from web import ratelimit, sessions


class InvalidToken(Exception):
    """An Authorization header was sent but its token is not an agent token."""


def _matches_one(digest: str, digests) -> bool:
    found = False
    for known in digests:
        found |= hmac.compare_digest(digest, known)
    return found


def is_agent_token(token: str) -> bool:
    """Whether `token` is one of the configured agent tokens."""
    digest = sessions.token_digest(token)
    return _matches_one(digest, [sessions.token_digest(t) for t in current_app.config["KB_AGENT_TOKENS"]])


def _check_presented(token: str) -> bool:
    """Check a token someone presented, under the failed-attempts limit."""
    ratelimit.refuse_after_failures()
    if is_agent_token(token):
        return True
    ratelimit.count_failure()
    return False


def sign_in(token: str) -> str | None:
    """Start an agent session if `token` is valid: the session id for the cookie, else None."""
    if not _check_presented(token):
        return None
    return sessions.start(token)


def sign_out() -> None:
    sessions.end()


def session_is_agent() -> bool:
    """Whether this request's session belongs to an agent whose token is still configured."""
    if "kb_session_agent" not in g:
        digest = sessions.current_token_digest()
        g.kb_session_agent = digest is not None and _matches_one(
            digest, [sessions.token_digest(t) for t in current_app.config["KB_AGENT_TOKENS"]])
    return g.kb_session_agent


def agent_name() -> str | None:
    """A name for the agent of this request (bearer token or signed-in session) that
    reveals nothing of the token: `agent-` and 8 hex digits; None for the public."""
    if not bearer_is_agent():
        return None
    header = request.headers.get("Authorization", "")
    digest = sessions.token_digest(header.partition(" ")[2].strip()) if header else \
        sessions.current_token_digest()
    return "agent-" + hashlib.sha256(("name:" + digest).encode()).hexdigest()[:8]


def bearer_is_agent() -> bool:
    """True for a valid bearer token or agent session; raises InvalidToken for a wrong bearer token
    (and 429 over the failed-attempts limit)."""
    if "kb_bearer" not in g:
        header = request.headers.get("Authorization", "")
        if not header:
            g.kb_bearer = None
        else:
            scheme, _, token = header.partition(" ")
            try:
                g.kb_bearer = scheme.lower() == "bearer" and bool(token.strip()) and _check_presented(
                    token.strip())
            except TooManyRequests as exc:  # over the limit: the same answer every time it is asked
                g.kb_bearer = exc
    if isinstance(g.kb_bearer, TooManyRequests):
        raise g.kb_bearer
    if g.kb_bearer is None:
        return session_is_agent()
    if not g.kb_bearer:
        raise InvalidToken()
    return True
