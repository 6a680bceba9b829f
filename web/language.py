"""One language at a time: searches that prefer the reader's language.

The help center and the agent console search in the interface language first; the
articles of the other language follow after all of them, so a Chinese reader never
gets an English answer card while a Chinese article answers, and a question only
the other language answers still finds it (labelled as such by the pages).
`bench/languages.py` measured this against a mixed ranking and a strict filter on
the golden queries (the README has the figures).

This is done here, with two calls of the narrow `search` interface, not inside
the ranking: the ranking of each language is left exactly as it is.
"""

from __future__ import annotations

from dataclasses import replace

from kb.markdown import detect_lang
from search.results import SearchResults

LANGS = ("zh", "en")
CONFIDENCE = ("none", "low", "high")


def other_language(lang: str) -> str:
    return LANGS[1] if lang == LANGS[0] else LANGS[0]


def search_preferring(index, text: str, prefer: str, limit: int = 10, offset: int = 0,
                      category: str | None = None, internal: bool = False) -> SearchResults:
    """Results of `prefer` first, then those of the other language, paged as one list.

    `total` counts both languages. The answers come from the preferred language when the
    question is written in it (`退款 refund` in the Chinese interface) and it has any; otherwise
    from whichever language is more confident. Suggestions and "did you mean" come from the
    preferred language when it has any.
    """
    mine = index.search(text, limit=limit, offset=offset, lang=prefer, category=category, internal=internal)
    room = limit - len(mine.articles)
    theirs = index.search(text, limit=max(room, 1), offset=max(0, offset - mine.total),
                          lang=other_language(prefer), category=category, internal=internal)
    if detect_lang(text) == prefer and mine.answers:
        lead = mine
    else:
        lead = theirs if CONFIDENCE.index(theirs.confidence) > CONFIDENCE.index(mine.confidence) else mine
    return replace(
        mine, took_ms=round(mine.took_ms + theirs.took_ms, 2), total=mine.total + theirs.total,
        articles=mine.articles + (theirs.articles[:room] if room > 0 else []),
        answers=lead.answers, confidence=lead.confidence,
        suggested=mine.suggested or theirs.suggested,
        did_you_mean=mine.did_you_mean or theirs.did_you_mean)
