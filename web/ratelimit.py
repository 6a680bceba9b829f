"""Rate limits (flask-limiter, in memory): the public JSON API per client address, and
agent sign-in attempts and hand-overs to a person. Limits come from `KB_RATE_LIMIT`,
`KB_SIGN_IN_LIMIT` and `KB_HANDOVER_LIMIT`.
Signed-in agents and valid bearer tokens are not limited by the API limit.
Over the limit, the API answers 429 with a JSON error; pages show the error page.

In-memory counters are per process: with N workers a client gets up to N times the
limit. Point `RATELIMIT_STORAGE_URI` at Redis or Memcached to share them.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from web.auth import InvalidToken, bearer_is_agent

limiter = Limiter(get_remote_address, storage_uri="memory://", headers_enabled=True)


def _api_limit() -> str:
    return current_app.config["KB_RATE_LIMIT"]


def _sign_in_limit() -> str:
    return current_app.config["KB_SIGN_IN_LIMIT"]


def _handover_limit() -> str:
    return current_app.config["KB_HANDOVER_LIMIT"]


def _api_exempt() -> bool:
    try:
        return bearer_is_agent()
    except InvalidToken:
        return False


# One budget for the whole API (not one per endpoint); /healthz is not limited.
api_limit = limiter.shared_limit(_api_limit, scope="api", exempt_when=_api_exempt)
sign_in_limit = limiter.limit(_sign_in_limit, methods=["POST"])
# Hand-overs queue work for people: one budget for the API and the /ask form, agents included.
handover_limit = limiter.shared_limit(_handover_limit, scope="handover", methods=["POST"])
