"""Snippets: the part of a text that best matches a query, with matches in `<mark>`.

The window is cut at word boundaries (never inside a Latin word), and only terms
that carry meaning are marked: the analyzer already drops stop words, and single
characters (a lone 不 or a) are not marked. The text is HTML-escaped here; the
only markup in a snippet is `<mark>`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from search.analysis import Analyzer, inside_latin_word

SNIPPET_CHARS = 120
MAX_TEXT_CHARS = 4000  # long sections: the snippet comes from their beginning
MIN_MARKED_CHARS = 2  # a matched term shorter than this is not marked
ANALYZED_CHARS = 2 * SNIPPET_CHARS  # of a longer text, only the stretch where the terms are is analyzed


def snippet(text: str, terms: set[str], analyzer: Analyzer, width: int = SNIPPET_CHARS,
            prose: str | None = None, weights: Mapping[str, float] | None = None) -> str:
    """The `width`-character window of `text` holding the most of the question's different terms
    (each counting its `weights`, how much it tells: its rarity; 1 without them), then the most
    matches, marked: a window holding pass, child and component answers "pass data to a child
    component" better than one repeating data three times. From `prose` (the text without its code)
    when that holds a term: a page's words, not its code, are what a reader takes in."""
    weights = weights or {}
    if prose is not None:
        folded = prose.lower()
        if any(term and term in folded for term in terms):
            text = prose
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    before = after = False
    if len(text) > ANALYZED_CHARS:
        # Segmenting a long section costs milliseconds: only the stretch where the terms' letters
        # appear most is analyzed.
        base = _densest(text.lower(), terms, ANALYZED_CHARS, weights)
        before, after = base > 0, base + ANALYZED_CHARS < len(text)
        text = text[base:base + ANALYZED_CHARS]
    found = sorted((s, e, term) for term, s, e in analyzer.matches(text, terms) if e - s >= MIN_MARKED_CHARS)
    spans = _merge([(s, e) for s, e, _ in found])
    start = _best_window_start(found, len(text), width, weights)
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


def _densest(folded: str, terms: set[str], size: int, weights: Mapping[str, float]) -> int:
    """Where a `size`-character stretch of `folded` holding the most of the different `terms` (by
    their `weights`), then the most occurrences of them, starts."""
    found = sorted((m.start(), term) for term in terms if term
                   for m in re.finditer(re.escape(term), folded))[:500]
    if not found:
        return 0
    best = _most_terms([position for position, _ in found], [term for _, term in found],
                       size - SNIPPET_CHARS, weights)
    start = max(0, min(best - SNIPPET_CHARS // 6, len(folded) - size))
    while 0 < start < len(folded) and folded[start - 1].isalnum() and folded[start].isascii() \
            and folded[start].isalnum():
        start -= 1  # not inside a Latin word
    return start


def _most_terms(positions: list[int], terms: list[str], reach: int, weights: Mapping[str, float]) -> int:
    """Of the sorted match `positions` (of `terms`), the one where a stretch of `reach` characters
    starting there holds the most of the different terms (each its weight, 1 by default), then
    the most matches."""
    best, best_key, left, held, worth = positions[0], (0.0, 0), 0, {}, 0.0
    for right, position in enumerate(positions):
        if terms[right] not in held:
            worth += weights.get(terms[right], 1.0)
        held[terms[right]] = held.get(terms[right], 0) + 1
        while position - positions[left] > reach:
            held[terms[left]] -= 1
            if not held[terms[left]]:
                del held[terms[left]]
                worth -= weights.get(terms[left], 1.0)
            left += 1
        if (round(worth, 6), right - left + 1) > best_key:
            best, best_key = positions[left], (round(worth, 6), right - left + 1)
    return best


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


def _best_window_start(found: list[tuple[int, int, str]], length: int, width: int,
                       weights: Mapping[str, float]) -> int:
    """Where the window over the matches `found` ((start, end, term), in text order) holding the
    most of the different terms (by their `weights`), then the most matches, should start."""
    if not found or length <= width:
        return 0
    best = _most_terms([s for s, _, _ in found], [term for _, _, term in found], width - 1, weights)
    # Start a little before the first match so it reads in context.
    return max(0, min(best - width // 6, length - width))
