"""Who is asking: an agent (valid bearer token) or the public.

Tokens are compared in constant time and never logged or echoed back.
"""

from __future__ import annotations

import hmac

from flask import current_app, request


class InvalidToken(Exception):
    """An Authorization header was sent but its token is not an agent token."""


def is_agent_token(token: str) -> bool:
    """Whether `token` is one of the configured agent tokens (constant-time compare)."""
    found = False
    for known in current_app.config["KB_AGENT_TOKENS"]:
        found |= hmac.compare_digest(token.encode("utf-8"), known.encode("utf-8"))
    return found


def bearer_is_agent() -> bool:
    """True for a valid `Authorization: Bearer` token, False without one; raises if it is wrong."""
    header = request.headers.get("Authorization", "")
    if not header:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or not is_agent_token(token.strip()):
        raise InvalidToken()
    return True
