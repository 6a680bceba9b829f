"""Configuration: where the articles and the index are, and who is an agent.

Values come from command-line options, then the environment (`KB_ARTICLES`,
`KB_INDEX`, `KB_AGENT_TOKENS`, `KB_SECRET_KEY`, `KB_WATCH`, `KB_RATE_LIMIT`,
`KB_SIGN_IN_LIMIT`, `KB_DATABASE_URL`, `KB_LOG`, `KB_LOG_DAYS`, `KB_HANDOVER_LIMIT`), then
defaults, and are validated up front: a bad value stops the program with a message naming
the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ARTICLES = "articles"
DEFAULT_INDEX = ".kb/index"
DEFAULT_RATE_LIMIT = "300 per minute"  # public API, per client address and process
DEFAULT_SIGN_IN_LIMIT = "10 per minute"
DEFAULT_HANDOVER_LIMIT = "10 per hour"  # hand-overs to a human, per client address
DEFAULT_LOG_DAYS = 90  # search analytics, conversations and votes older than this are deleted
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
    log: bool = True  # record search analytics (KB_LOG=off: nothing is recorded)
    log_days: int = DEFAULT_LOG_DAYS
    handover_limit: str = DEFAULT_HANDOVER_LIMIT

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
            log=_flag("KB_LOG", env.get("KB_LOG", "on")),
            log_days=_days("KB_LOG_DAYS", env.get("KB_LOG_DAYS") or str(DEFAULT_LOG_DAYS)),
            handover_limit=env.get("KB_HANDOVER_LIMIT") or DEFAULT_HANDOVER_LIMIT,
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
        for name, value in (("KB_RATE_LIMIT", self.rate_limit), ("KB_SIGN_IN_LIMIT", self.sign_in_limit),
                            ("KB_HANDOVER_LIMIT", self.handover_limit)):
            check_rate_limit(name, value)
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
    """A database URL SQLAlchemy can read: sqlite:///path or postgresql+psycopg://user@host/db."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except ArgumentError:
        raise ConfigError(f"KB_DATABASE_URL: {value!r} is not a database URL; write it like "
                          "'sqlite:////srv/kb/kb.sqlite3' or 'postgresql+psycopg://kb@localhost/kb'"
                          ) from None


def _days(name: str, value: str) -> int:
    try:
        days = int(value.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= 36500:
        raise ConfigError(f"{name}: {value!r} is not a number of days; use a whole number from 1 to 36500")
    return days


def _flag(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name}: {value!r} is not yes or no; use 1/0, true/false, yes/no or on/off")
