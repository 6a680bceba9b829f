"""What a search returns, as plain data shaped like the JSON API."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from urllib.parse import quote


def article_url(article_id: str, anchor: str | None = None) -> str:
    """The site path of an article, or of one of its sections."""
    url = "/articles/" + quote(article_id, safe="/")
    return url + "#" + quote(anchor, safe="") if anchor else url


@dataclass
class Answer:
    article_id: str
    title: str
    heading: str
    anchor: str
    text: str
    snippet: str
    url: str
    score: float
    visibility: str
    draft: bool = False
    # The unit's own Markdown (contract 5): web renders it for the card (tables as tables);
    # `text` is its readable plain text, for copying and reading aloud.
    markdown: str = ""


@dataclass
class ArticleHit:
    id: str
    title: str
    summary: str
    category: str
    lang: str
    tags: list[str]
    url: str
    snippet: str
    score: float
    visibility: str
    draft: bool = False


@dataclass
class Link:
    id: str
    title: str
    url: str
    visibility: str


@dataclass
class SearchResults:
    query: str
    took_ms: float
    total: int
    answers: list[Answer] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)
    suggested: list[Link] = field(default_factory=list)
    did_you_mean: str | None = None
    # How sure the ranking is that `answers[0]` answers the question (search.evidence): "high" — the
    # card's unit covers most of the question by exact words; "low" — articles were found but no
    # unit covers it well; "none" — nothing matches a word of the question.
    confidence: str = "none"

    def to_dict(self) -> dict:
        return asdict(self)
