"""Stored records and the rules about them, in one place.

An article's record is stored in the index (`search.documents`) and read back by
`search.version`; who may see it is decided here and nowhere else.
"""

from __future__ import annotations


def is_public(record: dict) -> bool:
    """Whether everyone may see the article: public and not a draft (the searched `visibility`
    field of a draft is "draft", so searches follow the same rule)."""
    return record["visibility"] == "public" and not record.get("draft", False)


def visible(record: dict, internal: bool) -> bool:
    """Whether a caller may see the article: agents (`internal`) see everything."""
    return internal or is_public(record)
