"""Snippets: the part of a text that best matches a query, with matches in `<mark>`.

The window is cut at word boundaries (never inside a Latin word), and only terms
that carry meaning are marked: the analyzer already drops stop words, and single
characters (a lone 不 or a) are not marked. The text is HTML-escaped here; the
only markup in a snippet is `<mark>`.
"""

from __future__ import annotations

import html
import re

from search.analysis import Analyzer

SNIPPET_CHARS = 120
MAX_TEXT_CHARS = 4000  # long sections: the snippet comes from their beginning
MIN_MARKED_CHARS = 2  # a matched term shorter than this is not marked

_WORD_CHAR = re.compile(r"[^\W_]", re.ASCII)


def snippet(text: str, terms: set[str], analyzer: Analyzer, width: int = SNIPPET_CHARS) -> str:
    """The `width`-character window of `text` with the most matched terms, marked."""
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    spans = _merge([(s, e) for term, s, e in analyzer.spans(text)
                    if term in terms and e - s >= MIN_MARKED_CHARS])
    start = _best_window_start(spans, len(text), width)
    start, end = _word_bounds(text, start, min(len(text), start + width))
    pieces, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        pieces += [html.escape(text[cursor:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        cursor = e
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces).strip() + ("…" if end < len(text) else "")


def _inside_word(text: str, position: int) -> bool:
    """Whether `position` falls between two ASCII letters or digits (inside a Latin word)."""
    return (0 < position < len(text) and bool(_WORD_CHAR.match(text[position - 1]))
            and bool(_WORD_CHAR.match(text[position])))


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """`start` moved forward and `end` back to the nearest word boundary (Chinese characters are
    words of their own; a window never starts or ends inside a Latin word)."""
    if _inside_word(text, start):
        forward = start
        while forward < end and _inside_word(text, forward):
            forward += 1
        start = forward if forward < end else start
    if _inside_word(text, end):
        back = end
        while back > start and _inside_word(text, back):
            back -= 1
        end = back if back > start else end
    while start < end and text[start] == " ":
        start += 1
    return start, end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlaps joined (search mode yields words inside words)."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _best_window_start(spans: list[tuple[int, int]], length: int, width: int) -> int:
    if not spans or length <= width:
        return 0
    best, best_count = 0, -1
    for i, (s, _) in enumerate(spans):
        count = sum(1 for s2, _ in spans[i:] if s2 < s + width)
        if count > best_count:
            best, best_count = s, count
    # Start a little before the first match so it reads in context.
    return max(0, min(best - width // 6, length - width))
