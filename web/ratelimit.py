"""Rate limits (flask-limiter): the public JSON API per client address, and agent
sign-in attempts. Limits come from `KB_RATE_LIMIT` and `KB_SIGN_IN_LIMIT`.
Signed-in agents and valid bearer tokens are not limited by the API limit.
Over the limit, the API answers 429 with a JSON error; pages show the error page.

Counters live where `KB_RATE_LIMIT_STORAGE` says: `memory://` (the default) counts in
each process, so with N workers or replicas a client gets up to N times the limit;
`redis://host:6379/0` shares them between every worker of every replica. The storage
must answer when the site starts. If Redis stops answering later, requests are not
refused: each process counts in memory until Redis is back (checked again after 1, 2,
4 ... seconds), and the errors are logged.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from kb.config import ConfigError
from web.auth import InvalidToken, bearer_is_agent

limiter = Limiter(get_remote_address, headers_enabled=True, swallow_errors=True,
                  in_memory_fallback_enabled=True)
TIMEOUT_SECONDS = 2  # a Redis that hangs delays a request at most this long


def init_app(app) -> None:
    """Count in the app's `KB_RATE_LIMIT_STORAGE`, after checking that it answers."""
    uri = app.config["KB_RATE_LIMIT_STORAGE"]
    check_storage(uri)
    app.config["RATELIMIT_STORAGE_URI"] = uri
    app.config["RATELIMIT_STORAGE_OPTIONS"] = _storage_options(uri)
    limiter.init_app(app)


def check_storage(uri: str) -> None:
    """ConfigError naming KB_RATE_LIMIT_STORAGE unless its storage can be used and answers."""
    from limits.errors import ConfigurationError
    from limits.storage import storage_from_string

    try:
        storage = storage_from_string(uri, **_storage_options(uri))
        answers = storage.check()
    except ConfigurationError as exc:
        raise ConfigError(f"KB_RATE_LIMIT_STORAGE: cannot use {uri!r}: {exc}") from None
    if not answers:
        raise ConfigError(f"KB_RATE_LIMIT_STORAGE: {uri!r} does not answer; is the server running "
                          "and reachable from here?")


def _storage_options(uri: str) -> dict:
    if uri.startswith(("redis", "valkey")):
        return {"socket_connect_timeout": TIMEOUT_SECONDS, "socket_timeout": TIMEOUT_SECONDS}
    return {}


def _api_limit() -> str:
    return current_app.config["KB_RATE_LIMIT"]


def _sign_in_limit() -> str:
    return current_app.config["KB_SIGN_IN_LIMIT"]


def _api_exempt() -> bool:
    try:
        return bearer_is_agent()
    except InvalidToken:
        return False


# One budget for the whole API (not one per endpoint); /healthz is not limited.
api_limit = limiter.shared_limit(_api_limit, scope="api", exempt_when=_api_exempt)
sign_in_limit = limiter.limit(_sign_in_limit, methods=["POST"])
