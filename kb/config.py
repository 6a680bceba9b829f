"""Configuration: where the articles and the index are, and who is an agent.

Values come from command-line options, then the environment (`KB_ARTICLES`,
`KB_INDEX`, `KB_AGENT_TOKENS`, `KB_SECRET_KEY`, `KB_WATCH`, `KB_RATE_LIMIT`,
`KB_SIGN_IN_LIMIT`, `KB_DATABASE_URL`, `KB_RATE_LIMIT_STORAGE`), then defaults, and are
validated up front: a bad value stops the program with a message naming the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ARTICLES = "articles"
DEFAULT_INDEX = ".kb/index"
DEFAULT_RATE_LIMIT = "300 per minute"  # public API, per client address and process
DEFAULT_SIGN_IN_LIMIT = "10 per minute"
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
    rate_limit_storage: str = DEFAULT_RATE_LIMIT_STORAGE

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
            rate_limit_storage=env.get("KB_RATE_LIMIT_STORAGE") or DEFAULT_RATE_LIMIT_STORAGE,
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
                                     ("KB_SIGN_IN_LIMIT", self.sign_in_limit, DEFAULT_SIGN_IN_LIMIT)):
            if value != default:
                check_rate_limit(name, value)
        if self.rate_limit_storage != DEFAULT_RATE_LIMIT_STORAGE:
            check_rate_limit_storage(self.rate_limit_storage)
        if self.database_url:
            check_database_url(self.database_url)
        short = [t for t in self.agent_tokens if len(t) < 8]
        if short:
            raise ConfigError("KB_AGENT_TOKENS: every token must be at least 8 characters "
                              f"({len(short)} shorter)")


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
