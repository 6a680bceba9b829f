"""Rate limits (flask-limiter), one policy for the whole public site.

- `public_limit` — the one budget of every public page and API endpoint together
  (`KB_RATE_LIMIT`, per client address): the help center's pages, the search page,
  `/api/...`, the agent sign-in page. Agents (a valid bearer token or signed-in
  session) are exempt; `/healthz` and static files are not limited. Every new public
  endpoint takes it, under its route decorator:

      @bp.get("/api/ask")
      @public_limit
      def ask(): ...

  (`api_limit` is the same decorator under its older name.) A test walks every route
  of the app and fails for one that is not limited.
- failed authentications — a wrong bearer token or a wrong token in the sign-in form —
  share a second budget per client address (`KB_SIGN_IN_LIMIT`, counted by
  `count_failure`); over it `refuse_after_failures` answers 429 to every presented
  token until the window passes (`web.auth` calls both).
- `handover_limit` — hand-overs to a person queue work for people: one budget per client
  address for `/api/handovers` and the `/ask` form (`KB_HANDOVER_LIMIT`), agents included,
  on top of the public budget.

Over a limit the API answers 429 with a JSON error and `Retry-After`; pages show the
error page. Counters live where `KB_RATE_LIMIT_STORAGE` says: `memory://` (the default)
counts in each process, so with N workers or replicas a client gets up to N times a
limit; `redis://host:6379/0` shares them between every worker of every replica. The
storage must answer when the site starts. If Redis stops answering later, requests are
not refused: each process counts in memory until Redis is back (checked again after 1,
2, 4 ... seconds), and the errors are logged. Behind a reverse proxy set
`KB_TRUSTED_PROXIES`, or every client shares the proxy's address (and its budget).
"""

from __future__ import annotations

import math
import time

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from kb.config import ConfigError

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


def _public_limit() -> str:
    return current_app.config["KB_RATE_LIMIT"]


def _is_agent() -> bool:
    from web.auth import InvalidToken, bearer_is_agent

    try:
        return bearer_is_agent()
    except (InvalidToken, TooManyRequests):
        # Not exempt; the view asks again and answers 401/429. An exception escaping from here
        # would make flask-limiter take its storage for dead and count in memory from then on.
        return False


public_limit = limiter.shared_limit(_public_limit, scope="public", exempt_when=_is_agent)
api_limit = public_limit


def _handover_limit() -> str:
    return current_app.config["KB_HANDOVER_LIMIT"]


handover_limit = limiter.shared_limit(_handover_limit, scope="handover", methods=["POST"])


def _failure_limits():
    return parse_many(current_app.config["KB_SIGN_IN_LIMIT"])


def refuse_after_failures() -> None:
    """429 if this client address has used up its failed authentications."""
    address = get_remote_address()
    for item in _failure_limits():
        if not limiter.limiter.test(item, "auth-failures", address):
            reset_at, _ = limiter.limiter.get_window_stats(item, "auth-failures", address)
            raise TooManyRequests(description="too many failed sign-in attempts; try again later",
                                  retry_after=max(1, math.ceil(reset_at - time.time())))


def count_failure() -> None:
    """Count one failed authentication of this client address."""
    for item in _failure_limits():
        limiter.limiter.hit(item, "auth-failures", get_remote_address())
