"""Snippets: the part of a text that best matches a query, with matches in `<mark>`.

The text is HTML-escaped here; the only markup in a snippet is `<mark>`.
"""

from __future__ import annotations

import html

from search.analysis import Analyzer

SNIPPET_CHARS = 120
MAX_TEXT_CHARS = 4000  # long sections: the snippet comes from their beginning


def snippet(text: str, terms: set[str], analyzer: Analyzer, width: int = SNIPPET_CHARS) -> str:
    """The `width`-character window of `text` with the most matched terms, marked."""
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    spans = _merge([(s, e) for term, s, e in analyzer.spans(text) if term in terms])
    start = _best_window_start(spans, len(text), width)
    end = min(len(text), start + width)
    pieces, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        pieces += [html.escape(text[cursor:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        cursor = e
    pieces.append(html.escape(text[cursor:end]))
    return ("…" if start > 0 else "") + "".join(pieces).strip() + ("…" if end < len(text) else "")


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
