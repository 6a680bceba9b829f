"""Configuration: where the articles and the index are, and who is an agent.

Values come from command-line options, then the environment (`KB_ARTICLES`,
`KB_INDEX`, `KB_AGENT_TOKENS`, `KB_SECRET_KEY`), then defaults, and are validated
up front: a bad value stops the program with a message naming the setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ARTICLES = "articles"
DEFAULT_INDEX = ".kb/index"


class ConfigError(Exception):
    """A setting that cannot be used; the message names it and says what was expected."""


@dataclass(frozen=True)
class Settings:
    articles_dir: Path
    index_dir: Path
    agent_tokens: tuple[str, ...] = ()
    secret_key: str | None = None

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
        short = [t for t in self.agent_tokens if len(t) < 8]
        if short:
            raise ConfigError("KB_AGENT_TOKENS: every token must be at least 8 characters "
                              f"({len(short)} shorter)")
