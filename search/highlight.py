"""Snippets: the part of a text that best matches a query, with matches in `<mark>`.

The window is cut at word boundaries (never inside a Latin word), and only terms
that carry meaning are marked: the analyzer already drops stop words, and single
characters (a lone 不 or a) are not marked. The text is HTML-escaped here; the
only markup in a snippet is `<mark>`.
"""

from __future__ import annotations

import html
import re

from search.analysis import Analyzer, inside_latin_word

SNIPPET_CHARS = 120
MAX_TEXT_CHARS = 4000  # long sections: the snippet comes from their beginning
MIN_MARKED_CHARS = 2  # a matched term shorter than this is not marked
ANALYZED_CHARS = 2 * SNIPPET_CHARS  # of a longer text, only the stretch where the terms are is analyzed


def snippet(text: str, terms: set[str], analyzer: Analyzer, width: int = SNIPPET_CHARS) -> str:
    """The `width`-character window of `text` with the most matched terms, marked."""
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    before = after = False
    if len(text) > ANALYZED_CHARS:
        # Segmenting a long section costs milliseconds: only the stretch where the terms' letters
        # appear most is analyzed.
        base = _densest(text.lower(), terms, ANALYZED_CHARS)
        before, after = base > 0, base + ANALYZED_CHARS < len(text)
        text = text[base:base + ANALYZED_CHARS]
    spans = _merge([(s, e) for _, s, e in analyzer.matches(text, terms) if e - s >= MIN_MARKED_CHARS])
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
    return (("…" if start > 0 or before else "") + "".join(pieces).strip()
            + ("…" if end < len(text) or after else ""))


def _densest(folded: str, terms: set[str], size: int) -> int:
    """Where a `size`-character stretch of `folded` holding the most occurrences of `terms` starts."""
    positions = sorted(m.start() for term in terms if term
                       for m in re.finditer(re.escape(term), folded))[:500]
    if not positions:
        return 0
    best, count, left = positions[0], 0, 0
    for right, position in enumerate(positions):
        while position - positions[left] > size - SNIPPET_CHARS:
            left += 1
        if right - left + 1 > count:
            best, count = positions[left], right - left + 1
    start = max(0, min(best - SNIPPET_CHARS // 6, len(folded) - size))
    while 0 < start < len(folded) and folded[start - 1].isalnum() and folded[start].isascii() \
            and folded[start].isalnum():
        start -= 1  # not inside a Latin word
    return start


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """`start` moved forward and `end` back to the nearest word boundary (Chinese characters are
    words of their own; a window never starts or ends inside a Latin word)."""
    if inside_latin_word(text, start):
        forward = start
        while forward < end and inside_latin_word(text, forward):
            forward += 1
        start = forward if forward < end else start
    if inside_latin_word(text, end):
        back = end
        while back > start and inside_latin_word(text, back):
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
