"""From what a user typed to a parsed query — never through Whoosh's query parser.

The small syntax users may type: `"quoted words"` must all appear, `-word`
excludes articles containing it; everything else is plain text. Input is capped
at `MAX_QUERY_CHARS` and control characters are dropped.

A query becomes a list of *concepts*, one per analyzed term; a concept matches if
any of its alternatives does (the term itself, or a synonym from `_synonyms.txt`,
which may be several terms). `search.scoring` turns a parsed query into scores.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from search.analysis import Analyzer, char_bigrams, han_characters, latin_char_grams
from search.answer_types import asked

MAX_QUERY_CHARS = 200
SYNONYM_WEIGHT = 0.8

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass
class Concept:
    """One thing the query asks for: alternatives, each a tuple of terms with a weight."""

    alternatives: list[tuple[tuple[str, ...], float]]
    required: bool = False

    @property
    def terms(self) -> set[str]:
        return {t for alt, _ in self.alternatives for t in alt}


@dataclass
class ParsedQuery:
    text: str  # the cleaned query
    concepts: list[Concept] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # terms
    grams: list[str] = field(default_factory=list)  # Chinese character pairs of the plain text
    chars: list[str] = field(default_factory=list)  # its Chinese characters
    latin_grams: list[str] = field(default_factory=list)  # character 3/4-grams of its Latin words
    words: list[str] = field(default_factory=list)  # unstemmed Latin words, e.g. pinyin
    # The same pieces of the whole text, stop words included: an article without a body is its
    # phrasings, and how they are worded (怎么, how do I) is part of what matches.
    all_grams: list[str] = field(default_factory=list)
    all_chars: list[str] = field(default_factory=list)
    all_latin_grams: list[str] = field(default_factory=list)
    # Search-mode segmentation yields a long word and the shorter words inside it (银行卡 and
    # 银行): one *group* per word of the question, as (head concept, concepts inside it), by
    # index into `concepts`. Coverage counts groups, so a word is not counted twice.
    groups: list[tuple[int, list[int]]] = field(default_factory=list)
    # Concepts that join two words of the question as pages write them as one (log in → login):
    # such a group weighs no more than its words (`add_joined_words`).
    joined: list[int] = field(default_factory=list)
    # The kinds of value the question asks for (search.answer_types): 多久 asks a duration.
    asks: list[str] = field(default_factory=list)

    @property
    def terms(self) -> set[str]:
        return {t for c in self.concepts for t in c.terms}


def clean_query(text: str) -> str:
    """Drop control and format characters (NUL, zero-width space…), turn line breaks, tabs and other
    separators into spaces, collapse spaces, cap the length."""
    text = "".join(" " if c in "\t\n\r\v\f" or unicodedata.category(c)[0] == "Z"
                   else "" if unicodedata.category(c)[0] == "C" else c for c in text or "")
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY_CHARS].strip()


def parse_query(text: str, analyzer: Analyzer, synonyms: dict[tuple[str, ...], list[tuple[str, ...]]],
                synonym_weight: float = SYNONYM_WEIGHT) -> ParsedQuery:
    """Analyze `text` into concepts; see the module doc for the syntax."""
    parsed = ParsedQuery(clean_query(text))
    plain: list[str] = []
    for match in _TOKEN.finditer(parsed.text):
        negative = match.group(1) or match.group(3)
        quoted = match.group(2)
        word = quoted if quoted is not None else match.group(4)
        if negative and (quoted is not None or len(word) > 1):
            parsed.excluded += analyzer.terms(word)
        elif quoted is not None:
            parsed.concepts += [Concept([((t,), 1.0)], required=True) for t in analyzer.terms(word)]
        else:
            plain.append(match.group(0))
    spans = _with_joined_forms(_with_joined_words(analyzer.spans(" ".join(plain)), analyzer),
                               " ".join(plain), analyzer)
    terms = list(dict.fromkeys(term for term, _, _ in spans))
    # Fuzzy evidence comes from the words that carry meaning: stop words (怎么样, how, does) are
    # blanked out first, so their characters and pieces match nothing.
    content = _content_only(" ".join(plain), spans)
    parsed.grams = list(dict.fromkeys(char_bigrams(content)))
    parsed.chars = list(dict.fromkeys(han_characters(content)))
    parsed.latin_grams = list(dict.fromkeys(latin_char_grams(content)))
    parsed.words = list(dict.fromkeys(analyzer.words(content, min_length=2)))
    parsed.all_grams = list(dict.fromkeys(char_bigrams(" ".join(plain))))
    parsed.all_chars = list(dict.fromkeys(han_characters(" ".join(plain))))
    parsed.all_latin_grams = list(dict.fromkeys(latin_char_grams(" ".join(plain))))
    parsed.concepts += [Concept([((t,), 1.0)]) for t in terms if t not in parsed.terms]
    _expand_synonyms(parsed, terms, synonyms, synonym_weight)
    parsed.groups = _groups(parsed, spans)
    parsed.asks = asked(" ".join(plain))
    return parsed


def _with_joined_words(spans, analyzer: Analyzer) -> list[tuple[str, int, int]]:
    """`spans`, plus the word two neighbouring Chinese pieces make together where the dictionary
    has it: a short question may be cut 最/多 where a page says 最多 (每天最多提现多少), and the
    joined word then heads the pieces' group, as 银行卡 heads 银行."""
    spans = list(spans)
    known = {term for term, _, _ in spans}
    ends = {}
    for term, start, end in spans:
        ends.setdefault(start, []).append((term, end))
    joined = []
    for term, start, end in spans:
        for other, other_end in ends.get(end, ()):
            word = term + other
            if (word not in known and len(word) <= 4 and _HAN.fullmatch(word)
                    and analyzer.is_word(word)):
                known.add(word)
                joined.append((word, start, other_end))
    return spans + joined


# A code name written with hyphens (keep-alive, vue-router): the analyzer makes it several terms,
# where the same name in camel case (KeepAlive) is one.
_HYPHENATED = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+(?![A-Za-z0-9-])")


def _with_joined_forms(spans, text: str, analyzer: Analyzer) -> list[tuple[str, int, int]]:
    """`spans`, plus each hyphenated Latin word of the question joined (keep-alive → keepalive,
    as a page's `<KeepAlive>` is indexed), heading the group of its parts."""
    spans = list(spans)
    known = {term for term, _, _ in spans}
    for match in _HYPHENATED.finditer(text):
        terms = analyzer.terms(match.group(0).replace("-", ""))
        if len(terms) == 1 and terms[0] not in known:
            known.add(terms[0])
            spans.append((terms[0], match.start(), match.end()))
    return spans


def _content_only(text: str, spans) -> str:
    """`text` with every character outside the analyzer's (content) terms turned into a space."""
    keep = bytearray(len(text))
    for _, start, end in spans:
        keep[start:end] = b"\x01" * (end - start)
    return "".join(c if keep[n] else " " for n, c in enumerate(text))


def _groups(parsed: ParsedQuery, spans) -> list[tuple[int, list[int]]]:
    """Concepts grouped by the word of the question they come from: a term whose characters lie
    inside a longer term's is part of that term's group."""
    index = {c.alternatives[0][0][0]: n for n, c in enumerate(parsed.concepts)
             if len(c.alternatives[0][0]) == 1}
    first: dict[int, tuple[int, int]] = {}
    for term, start, end in spans:
        if term in index and index[term] not in first:
            first[index[term]] = (start, end)
    heads: dict[int, list[int]] = {}
    longest_first = sorted(first, key=lambda n: -(first[n][1] - first[n][0]))
    for n in longest_first:
        start, end = first[n]
        head = next((h for h in heads if first[h][0] <= start and end <= first[h][1]
                     and first[h] != (start, end)), None)
        if head is None:
            heads[n] = []
        else:
            heads[head].append(n)
    grouped = {n for head, parts in heads.items() for n in (head, *parts)}
    return sorted([(h, sorted(p)) for h, p in heads.items()]
                  + [(n, []) for n in range(len(parsed.concepts)) if n not in grouped])


def add_found_parts(parsed: ParsedQuery, holding: Callable[[tuple[str, ...]], int], weight: float) -> None:
    """In place: a Chinese word of the question of three characters or more that no article holds
    (`holding(terms)`: how many do) gets as alternatives, at `weight`, the longest words inside it
    that articles hold and the question does not already have. jieba guesses an unknown word by
    gluing characters together (给输入框做一个带防抖的 ref → 带防抖), and its search mode yields only
    the dictionary's words inside a word: a word the pages use that the dictionary lacks (防抖,
    首屏) was lost."""
    if not weight:
        return
    known = {(term,) for term in parsed.terms}
    for concept in parsed.concepts:
        if concept.required or len(concept.alternatives[0][0]) != 1:
            continue
        word = concept.alternatives[0][0][0]
        if len(word) < 3 or not _HAN.fullmatch(word) or holding((word,)):
            continue
        found: list[str] = []
        for length in range(len(word) - 1, 1, -1):
            for start in range(len(word) - length + 1):
                part = word[start:start + length]
                if not any(part in longer for longer in found) and holding((part,)):
                    found.append(part)
        for part in found:
            if (part,) not in known:
                known.add((part,))
                concept.alternatives.append(((part,), weight))


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Stop words that end a phrasal verb a page may write as one word (log in → login, check in).
PARTICLES = frozenset({"in", "on"})


def add_joined_words(parsed: ParsedQuery, analyzer: Analyzer, holding: Callable[[tuple[str, ...]], int]
                     ) -> None:
    """In place: two neighbouring Latin words of the question that pages write as one (log in →
    login, look up → lookup, keep alive → KeepAlive) head a group of the words' own concepts, as a
    hyphenated name's joined form does (`_with_joined_forms`): a page holding either form has the
    word. Only where the joined form is a term some article holds (`holding(terms)`: how many do)
    and the question lacks, and neither word is a stop word but the particle of a phrasal verb
    second (on mount is not onMounted, my component not MyComponent). Listed in `parsed.joined`,
    such a group weighs no more than its words (a code name joined by chance, ChildComponent for
    "child component", is rare)."""
    words = [(m, analyzer.terms(m.group(0))) for m in _LATIN_WORD.finditer(parsed.text)]
    for (first, first_terms), (second, second_terms) in zip(words, words[1:], strict=False):
        if (parsed.text[first.end():second.start()] != " " or not first_terms
                or not (second_terms or second.group(0).lower() in PARTICLES)):
            continue
        joined = analyzer.terms(first.group(0) + second.group(0))
        if len(joined) != 1 or joined[0] in parsed.terms or not holding((joined[0],)):
            continue
        # The words' own groups: each a concept standing alone (not part of a longer word).
        alone = {parsed.concepts[head].alternatives[0][0]: n for n, (head, parts) in enumerate(parsed.groups)
                 if not parts}
        own = sorted({alone[(t,)] for t in first_terms + second_terms if (t,) in alone}, reverse=True)
        if not own:
            continue
        members = sorted(parsed.groups.pop(n)[0] for n in own)
        parsed.concepts.append(Concept([((joined[0],), 1.0)]))
        parsed.groups.append((len(parsed.concepts) - 1, members))
        parsed.joined.append(len(parsed.concepts) - 1)


def _expand_synonyms(parsed: ParsedQuery, terms: list[str], synonyms, weight: float) -> None:
    by_first = {c.alternatives[0][0][0]: c for c in parsed.concepts}
    for start in range(len(terms)):
        for length in (3, 2, 1):
            key = tuple(terms[start:start + length])
            if len(key) == length and key in synonyms:
                concept = by_first.get(key[0])
                if concept is not None:
                    concept.alternatives += [(alt, weight) for alt in synonyms[key]
                                             if (alt, weight) not in concept.alternatives
                                             and alt != (key[0],)]
                break


def synonym_map(groups: list[list[str]], analyzer: Analyzer) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Each analyzed group member → the other members, analyzed."""
    mapping: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in groups:
        members = [tuple(analyzer.terms(m)) for m in group]
        members = [m for m in dict.fromkeys(members) if m]
        for member in members:
            mapping.setdefault(member, [])
            mapping[member] += [m for m in members if m != member and m not in mapping[member]]
    return mapping
