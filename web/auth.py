"""Who is asking: an agent or the public.

Agents prove themselves with a token from `KB_AGENT_TOKENS`: as an
`Authorization: Bearer` header (API clients) or by signing in to the console, which
keeps a digest of the token in the signed session cookie, so removing a token from
the configuration ends its sessions too. Tokens are compared in constant time and
never logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request, session

SESSION_KEY = "agent"


class InvalidToken(Exception):
    """An Authorization header was sent but its token is not an agent token."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _is_agent_digest(digest: str) -> bool:
    """Whether `digest` is that of a configured agent token; compared in constant time, to all."""
    found = False
    for known in current_app.config["KB_AGENT_TOKENS"]:
        found |= hmac.compare_digest(digest, _digest(known))
    return found


def is_agent_token(token: str) -> bool:
    """Whether `token` is one of the configured agent tokens."""
    return _is_agent_digest(_digest(token))


def sign_in(token: str) -> bool:
    """Start an agent session if `token` is valid."""
    if not is_agent_token(token):
        return False
    session.clear()
    session[SESSION_KEY] = _digest(token)
    return True


def sign_out() -> None:
    session.clear()


def session_is_agent() -> bool:
    """Whether the signed session belongs to an agent whose token is still configured."""
    digest = session.get(SESSION_KEY)
    return isinstance(digest, str) and _is_agent_digest(digest)


def agent_name() -> str | None:
    """A name for the agent of this request (bearer token or signed-in session) that
    reveals nothing of the token: `agent-` and 8 hex digits; None for the public."""
    header = request.headers.get("Authorization", "")
    digest = _digest(header.partition(" ")[2].strip()) if header else session.get(SESSION_KEY)
    if not isinstance(digest, str) or not _is_agent_digest(digest):
        return None
    return "agent-" + hashlib.sha256(("name:" + digest).encode()).hexdigest()[:8]


def bearer_is_agent() -> bool:
    """True for a valid bearer token or agent session; raises for a wrong bearer token."""
    header = request.headers.get("Authorization", "")
    if not header:
        return session_is_agent()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not is_agent_token(token.strip()):
        raise InvalidToken()
    return True
