"""Did-you-mean: misspelled Latin words of a query and their likeliest correction.

The vocabulary is every Latin word the index holds — titles, questions, headings
and bodies (`search.documents` puts them in the `spell` field; `search.derived`
stores the vocabularies with their document frequencies). A word is corrected
only when it is found nowhere: never a word the articles use, never a stop word,
never another form of a word they use (days when they say day), never Chinese
(`Analyzer.words` yields Latin words only).
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

TYPO_WEIGHT = 0.7  # a spelling correction counts a little less than the word as typed
STEM_FIELDS = ("title", "questions", "headings", "body", "tags")


def _corrections(state, parsed, internal: bool, typo_weight: float = TYPO_WEIGHT) -> dict[str, str]:
    """Misspelled Latin words of the query → the likeliest word of the knowledge base.

    Each correction also joins the query as a weaker alternative of the word,
    so `refnd` finds refunds while `did_you_mean` offers the corrected query.
    The public's vocabulary holds only words of articles the public may see.
    """
    vocabulary = state.spelling[internal]
    scorer = state.scorers[internal]
    corrections = {}
    for word in state.analyzer.words(parsed.text):
        if word in vocabulary:
            continue
        terms = state.analyzer.terms(word)
        if not terms or any(_indexed(scorer, term) for term in terms):
            continue  # a stop word, or another form of a word the articles use
        suggestion = _closest_word(word, vocabulary)
        if suggestion and state.analyzer.terms(suggestion) != terms:
            corrections[word] = suggestion
    by_term = {c.alternatives[0][0]: c for c in parsed.concepts}
    for word, suggestion in corrections.items():
        concept = by_term.get(tuple(state.analyzer.terms(word)))
        alternative = tuple(state.analyzer.terms(suggestion))
        if concept is not None and alternative:
            concept.alternatives.append((alternative, typo_weight))
    return corrections


def _indexed(scorer, term: str) -> bool:
    """Whether an article the searcher may see holds `term` (an analyzed, stemmed term)."""
    for name in STEM_FIELDS:
        docs = scorer.term(name, term)[0]
        if len(docs) and (scorer.population is None or scorer.population[docs].any()):
            return True
    return False


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
