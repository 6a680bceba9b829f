"""Stored records, one dataclass per kind, and the one visibility rule.

The indexer stores an `ArticleRecord` with each article document and a `Unit`
with each answer unit (`to_dict`); readers turn what they read back into the same
types (`from_stored`). Who may see an article is decided here and nowhere else:

- `public`: everyone;
- `internal`: signed-in agents only;
- a draft (`draft: true`, whatever its visibility): agents only, until published.

The searched `visibility` field of a draft is "draft" (`searched_visibility`), so
a search for the public finds exactly the articles `is_public` lets through.

Records still answer `record["title"]` and `record.get("draft")` like the stored
dicts they replace, for code not yet moved to attributes.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import asdict, dataclass, field, fields, is_dataclass

PUBLIC, INTERNAL, DRAFT = "public", "internal", "draft"


class _Stored:
    """Dict-style reading of a record's fields (`record["id"]`, `"answer" in record`, `.get`)."""

    __slots__ = ()

    def __getitem__(self, key: str):
        try:
            value = getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None
        if value is None and key in self._optional:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return hasattr(self, key) and not (key in self._optional and getattr(self, key) is None)

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(slots=True)
class Unit(_Stored):
    """One answer unit: a section (or the whole of a one-section article)."""

    anchor: str
    heading: str
    text: str
    markdown: str | None = None  # the unit's own body Markdown, where the indexer stores it
    prose: str | None = None  # its text without code, where it has code (snippets come from it)
    _optional = frozenset({"markdown", "prose"})

    @classmethod
    def from_stored(cls, data: dict) -> Unit:
        return cls(anchor=data["anchor"], heading=data["heading"], text=data["text"],
                   markdown=data.get("markdown"), prose=data.get("prose"))

    def to_dict(self) -> dict:
        data = {"anchor": self.anchor, "heading": self.heading, "text": self.text}
        if self.markdown is not None:
            data["markdown"] = self.markdown
        if self.prose is not None:
            data["prose"] = self.prose
        return data


@dataclass(slots=True)
class ArticleRecord(_Stored):
    """What listings, suggestions and the API need about an article (no HTML, no source)."""

    id: str
    path: str
    hash: str
    title: str
    summary: str
    lang: str
    category: str
    tags: list[str]
    questions: list[str]
    related: list[str]
    visibility: str
    updated: str
    draft: bool = False
    translations: list[str] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)  # {anchor, heading, level} of headings below the title
    anchors: list[str] = field(default_factory=list)  # every element id of the page (web resolves links)
    slug: str = ""  # `slug:`/`permalink:`: another address links may use
    answer: Unit | None = None  # the one unit of a single-unit article (no unit document of its own)
    _optional = frozenset({"answer"})

    @classmethod
    def from_article(cls, article) -> ArticleRecord:
        """The record of a parsed `kb.articles.Article`."""
        return cls(
            id=article.id, path=article.path, hash=article.source_hash, title=article.title,
            summary=article.summary, lang=article.lang, category=article.category, tags=list(article.tags),
            questions=list(article.questions), related=list(article.related), visibility=article.visibility,
            updated=article.updated, draft=article.draft, translations=list(article.translations),
            sections=[{"anchor": s.anchor, "heading": s.heading, "level": s.level}
                      for s in article.sections if s.level > 1],
            anchors=list(getattr(article, "anchors", ())), slug=getattr(article, "slug", ""))

    @classmethod
    def from_stored(cls, data: dict) -> ArticleRecord:
        """The record as the index stores it (a dict written by `to_dict`); unknown keys are ignored."""
        known = _field_names(cls)
        values = {k: v for k, v in data.items() if k in known}
        if values.get("answer") is not None:
            values["answer"] = Unit.from_stored(values["answer"])
        return cls(**values)

    def to_dict(self) -> dict:
        """What `dataclasses.asdict` gives (every field in order, lists and dicts copied), with the
        answer as `Unit.to_dict` writes it and left out when there is none — without asdict's deep
        copy of each string (the indexer writes a record for every article)."""
        data = {name: _copied(getattr(self, name)) for name in _record_fields()}
        if self.answer is not None:
            data["answer"] = self.answer.to_dict()
        return data

    @property
    def searched_visibility(self) -> str:
        """The value of the indexed `visibility` field: who may find the article by searching."""
        return DRAFT if self.draft else self.visibility

    def visible_to(self, internal: bool) -> bool:
        """Whether a caller may see the article: agents (`internal`) see every one."""
        return internal or is_public(self)


def is_public(record) -> bool:
    """Whether everyone may see the article: public and not a draft."""
    return record["visibility"] == PUBLIC and not record.get("draft", False)


@functools.cache
def _field_names(cls) -> frozenset[str]:
    """The fields of a record class (read once: a reader builds thousands of records at open)."""
    return frozenset(f.name for f in fields(cls))


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _copied(value):
    """`dataclasses.asdict`'s copy of a value a record holds: lists and dicts copied all the way down,
    strings, numbers and None as they are (a deep copy of one is the same object)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [_copied(v) for v in value]
    if kind is dict:
        return {_copied(k): _copied(v) for k, v in value.items()}
    return asdict(value) if is_dataclass(value) else copy.deepcopy(value)


@functools.cache
def _record_fields() -> tuple[str, ...]:
    """The fields of `ArticleRecord` in order, but the answer (`to_dict` writes it itself)."""
    return tuple(f.name for f in fields(ArticleRecord) if f.name != "answer")
