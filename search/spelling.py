"""Did-you-mean: misspelled Latin words of a query and their likeliest correction.

The vocabulary is every Latin word the index holds — titles, questions, headings
and bodies (`search.documents` puts them in the `spell` field; `search.derived`
stores the vocabularies with their document frequencies). A word is corrected
only when it is found nowhere: never a word the articles use, never a stop word,
never another form of a word they use (days when they say day), never Chinese
(`Analyzer.words` yields Latin words only), never a word of fewer than five letters (usa is
not a misspelled "use", nor wifi "wiki" or gpay "pay": short words are abbreviations and
names more often than typos, and one letter off makes most of them another word), and never
a common English word: a question about a passport in a wallet's help center is not a
misspelled "password", nor are begin, idea, town, month or choose misspellings of been,
ideal, down, money or those — words BANKING77's customers wrote and the old rule
"corrected", 194 of its 1,500 questions. English is pyspellchecker's word-frequency list
(MIT; counted in OpenSubtitles, cleaned): a word it counts at least `COMMON_ENGLISH` times is
a word, where misspellings (accidently: 50) and unknown strings (refnd) are not. A word of
up to `ONE_EDIT_UP_TO` letters is corrected by one edit at most (zelle is not a misspelt
"else"), a longer one by two. Measured (bench indexes, words only): corrected BANKING77
questions 194 → 14 (with no stop word offered either: wouldnt → would), its MRR@10 0.854 →
0.853; off-topic questions answered with high confidence vue-en 10% → 5% (passport →
password gave "renew my passport" a card), golden 2.5% → 0% (how tall is mount everest: tall
→ call, mount → amount); leaving short words alone then took two more that were no typos
(usa → use, mak → make) and changed no figure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.analysis import WORD_FORMS
from search.word_tables import Tables, WordTable, package_file

COMMON_ENGLISH = 100  # occurrences in the English word-frequency list that make a word a word
# A word shorter than this is never corrected: one letter off turns most short words into another
# (usa → use, wifi → wiki, gpay → pay), and short ones are abbreviations and names more than typos.
SHORTEST_CORRECTED = 5
# Edits a correction may make: one up to this length (zelle is not a misspelt "else"), two beyond.
ONE_EDIT_UP_TO = 6


def _corrections(state, parsed, internal: bool, typo_weight: float) -> dict[str, str]:
    """Misspelled Latin words of the query → the likeliest word of the knowledge base.

    Each correction also joins the query as a weaker alternative of the word,
    so `refnd` finds refunds while `did_you_mean` offers the corrected query.
    The public's vocabulary holds only words of articles the public may see.
    """
    vocabulary = state.spelling[internal]
    scorer = state.scorers[internal]
    corrections = {}
    for word in state.analyzer.words(parsed.text):
        if (len(word) < SHORTEST_CORRECTED or word in vocabulary or is_common_english(word)
                or word in WORD_FORMS):  # hasnt is hasn't, not a misspelt havnt
            continue
        terms = state.analyzer.terms(word)
        if not terms or any(scorer.holding((term,)) for term in terms):
            continue  # a stop word, or another form of a word the articles use
        suggestion = _closest_word(word, vocabulary)
        # Never a stop word for a word that is not one (wouldnt → would drops the "not").
        if suggestion and state.analyzer.terms(suggestion) not in ([], terms):
            corrections[word] = suggestion
    by_term = {c.alternatives[0][0]: c for c in parsed.concepts}
    for word, suggestion in corrections.items():
        concept = by_term.get(tuple(state.analyzer.terms(word)))
        alternative = tuple(state.analyzer.terms(suggestion))
        if concept is not None and alternative:
            concept.alternatives.append((alternative, typo_weight))
    return corrections


def _closest_word(word: str, vocabulary: dict[str, int]) -> str | None:
    """The most frequent vocabulary word within edit distance 1 (words up to `ONE_EDIT_UP_TO`
    letters) or 2."""
    limit = 1 if len(word) <= ONE_EDIT_UP_TO else 2
    matches = process.extract(word, vocabulary.keys(), scorer=Levenshtein.distance, score_cutoff=limit,
                              limit=10)
    if not matches:
        return None
    best = min(distance for _, distance, _ in matches)
    return max((m for m, d, _ in matches if d == best), key=vocabulary.__getitem__)


def _replace_word(text: str, word: str, replacement: str) -> str:
    return re.sub(rf"(?i)(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", replacement, text, count=1)


def _read_english(path: Path) -> Tables:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {"words": {word: str(count) for word, count in json.load(handle).items()}}


ENGLISH = WordTable("english", lambda: package_file("spellchecker", "resources/en.json.gz"),
                    _read_english, format=1)


def is_common_english(word: str) -> bool:
    """Whether `word` is an English word in common use (never one to correct)."""
    count = ENGLISH.lookup("words", word.lower())
    return bool(count) and int(count) >= COMMON_ENGLISH
