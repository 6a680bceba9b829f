"""Did-you-mean: misspelled Latin words of a query and their likeliest correction."""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

TYPO_WEIGHT = 0.7  # a spelling correction counts a little less than the word as typed


def _corrections(state, parsed, internal: bool) -> dict[str, str]:
    """Misspelled Latin words of the query → the likeliest word of the knowledge base.

    Each correction also joins the query as a weaker alternative of the word,
    so `refnd` finds refunds while `did_you_mean` offers the corrected query.
    The public's vocabulary holds only words of articles the public may see.
    """
    vocabulary = state.spelling[internal]
    corrections = {}
    for word in state.analyzer.words(parsed.text):
        if word not in vocabulary:
            suggestion = _closest_word(word, vocabulary)
            if suggestion:
                corrections[word] = suggestion
    by_term = {c.alternatives[0][0]: c for c in parsed.concepts}
    for word, suggestion in corrections.items():
        concept = by_term.get(tuple(state.analyzer.terms(word)))
        alternative = tuple(state.analyzer.terms(suggestion))
        if concept is not None and alternative:
            concept.alternatives.append((alternative, TYPO_WEIGHT))
    return corrections


def _closest_word(word: str, vocabulary: dict[str, int]) -> str | None:
    """The most frequent vocabulary word within edit distance 1 (short words) or 2."""
    limit = 1 if len(word) <= 4 else 2
    matches = process.extract(word, vocabulary.keys(), scorer=Levenshtein.distance, score_cutoff=limit,
                              limit=10)
    if not matches:
        return None
    best = min(distance for _, distance, _ in matches)
    return max((m for m, d, _ in matches if d == best), key=vocabulary.__getitem__)


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", replacement, text, count=1)
