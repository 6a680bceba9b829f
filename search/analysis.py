"""The analyzer for mixed Chinese/English text, as a Whoosh pipeline:

    JiebaTokenizer(segmenter) | LowercaseFilter() | CompoundFilter(compounds)
        | StopFilter(STOP_WORDS, minsize=1) | StemFilter()

`JiebaTokenizer` first folds each character (full-width → half-width, traditional
→ simplified, a phone's ’ → ', one character for one so offsets stay true), then
hands Chinese runs to jieba in search mode (a long word also yields its dictionary
sub-words, for recall) and splits the rest into words (hasnt read as hasn't, daily
as day).
`CompoundFilter` keeps multi-word domain terms such as "Apple Pay" whole, beside
their parts. Question particles and English stop words (can't and cant alike) are
dropped so they never dominate the score.

The segmenter is a private `jieba.Tokenizer` with the domain dictionary added, so
two knowledge bases in one process do not share words.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from importlib import resources

from opencc import OpenCC
from whoosh.analysis import STOP_WORDS, LowercaseFilter, StemFilter, StopFilter
from whoosh.analysis.acore import Token
from whoosh.analysis.filters import Filter
from whoosh.analysis.tokenizers import Tokenizer
from whoosh.lang import stemmer_for_language

from search import dictionary
from search.dictionary import jieba

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

CHINESE_STOP_WORDS = frozenset("""
吗 呢 吧 啊 呀 哦 嘛 么 啦 哈 的 地 得 了 着 过 呃 嗯 哎 唉 喔
怎么 怎么样 怎样 怎么办 咋 咋办 咋样 如何 什么 为什么 为何 为啥 啥 哪 哪里 哪儿 多少 几
请问 请 一下 下 我 我的 我们 你 你们 您 他 她 它 这 那 这个 那个 这样 那样 这里 那里
是 在 有 和 与 及 或 或者 就 也 都 还 又 才 把 被 给 让 从 对 向 跟 将 于 而 但 但是 所以 因为
能 能否 可以 可不可以 能不能 会 会不会 要 想 需要 应该 该 该怎么 是否 是不是 有没有
一个 一些 一直 已经 现在 然后 之后 以后 时候 的话 如果 还是
""".split())
# English function words Whoosh's short list lacks: question words, auxiliaries, pronouns,
# determiners and prepositions. Particles that make phrasal verbs (up, out, off, down) stay.
ENGLISH_STOP_WORDS = frozenset("""
how what why where which who whom whose whether does do did doing done am was were been being
has had having would should could might must shall i me my mine myself our ours ourselves he him
his she her hers they them their theirs its itself there here than then so such into about over
again just also very too only some any all each both more most other another same own these those
i'm i've i'd i'll don't doesn't didn't can't cannot isn't aren't wasn't
im ive dont doesnt didnt cant isnt arent wasnt
""".split())
# Words read as another form of themselves. Other contractions say what is asked (the money
# hasn't arrived, the ATM won't give it): typed without the apostrophe, they are read with it. An
# adjective of a time is its noun, as the stemmer cannot tell: a "daily limit" is a limit per day.
WORD_FORMS = {
    **{word.replace("'", ""): word for word in
       "hasn't haven't hadn't won't wouldn't shouldn't couldn't weren't".split()},
    "hourly": "hour", "daily": "day", "nightly": "night", "weekly": "week", "monthly": "month",
    "yearly": "year",
}
SPANS_CACHE = 20000  # analyzed questions kept per analyzer
TERMS_CACHE = 200_000  # Chinese runs segmented and words stemmed, remembered per analyzer
STOP = (frozenset(STOP_WORDS) | ENGLISH_STOP_WORDS | CHINESE_STOP_WORDS
        | {"pls", "please", "hi", "hello", "thanks"})

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Han runs, and word runs of any other letters and digits (a word run never swallows the Han
# characters after it: `iPhone13怎么付款` is `iPhone13` + `怎么付款`).
_RUNS = re.compile(rf"(?P<han>[{_HAN}]+)|(?P<word>[^\W_{_HAN}]+(?:['.][^\W_{_HAN}]+)*)")
_WORD_RUNS = re.compile(rf"[^\W_{_HAN}]+(?:['.][^\W_{_HAN}]+)*")  # the `word` alternative of `_RUNS`
_IS_HAN = re.compile(rf"[{_HAN}]")
_LATIN_CHAR = re.compile(r"[^\W_]", re.ASCII)
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_T2S = OpenCC("t2s")


def _traditional_characters() -> str:
    """Every character OpenCC's t2s tables would change, plus our variant folds."""
    chars = set(_VARIANTS_FROM)
    folder = resources.files("opencc") / "dictionary"
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        for line in (folder / name).read_text("utf-8").splitlines():
            source, _, target = line.partition("\t")
            chars.update(a for a, b in zip(source, target.split(" ")[0], strict=False) if a != b)
    return "".join(sorted(chars))


_VARIANTS_FROM, _VARIANTS_TO = "帐", "账"  # 帐户/账户 are both "simplified"; fold to one
_VARIANTS = str.maketrans(_VARIANTS_FROM, _VARIANTS_TO)
_TRADITIONAL = frozenset(_traditional_characters())  # a set: far faster than a character class
# A phone's keyboard writes can’t with a typographic apostrophe: folded to ', as a page's can't.
_APOSTROPHES = frozenset("\u2019\u2018\u02bc")


def _has_apostrophe(text: str) -> bool:
    return any(mark in text for mark in _APOSTROPHES)  # `in`: a scan in C for each of three


@functools.lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """One character, full-width folded to half-width and traditional to simplified."""
    if char in _APOSTROPHES:
        return "'"
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    if folded in _TRADITIONAL:
        folded = _T2S.convert(folded).translate(_VARIANTS)
    return folded if len(folded) == 1 else char


class _FoldTable(dict):
    """Code point → `fold_char` of it, for `str.translate`: each character is folded once."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = fold_char(chr(code))
        return folded


_FOLDS = _FoldTable()


@functools.lru_cache(maxsize=1024)
def fold_text(text: str) -> str:
    """`text` with every character folded; the result has the same length.

    Remembers recent texts: indexing folds each text for its terms, then again for its
    spelling words and character grams (the phrase-level conversion is slow pure Python)."""
    traditional = not _TRADITIONAL.isdisjoint(text)
    if not traditional and unicodedata.is_normalized("NFKC", text) and not _has_apostrophe(text):
        return text  # the common case, checked in C
    folded = text.translate(_FOLDS)
    if traditional:
        # Phrase-level conversion picks the right character where one traditional
        # character maps to several simplified ones (乾 → 干/乾); keep it when the
        # length is unchanged so offsets stay true: the Chinese characters of the
        # phrase-level conversion, the folded characters elsewhere.
        phrased = _phrased(text).translate(_VARIANTS)
        if len(phrased) == len(text):
            parts, at = [], 0
            for run in _HAN_RUN.finditer(phrased):
                parts += (folded[at:run.start()], run.group())
                at = run.end()
            parts.append(folded[at:])
            folded = "".join(parts)
    return folded


def _phrased(text: str) -> str:
    """`_T2S.convert(text)`: OpenCC converts the pieces between its separators one by one, and a
    piece holding no character its tables change comes out as it went in (no entry of its tables
    changes a text without changing one of its characters: `tests/search/test_analysis.py`), so
    only the pieces holding one are converted — remembered, as the same sentences are folded
    for terms, spelling words, character grams and the kinds of value they state."""
    parts = _T2S.split_chars_re.split(text)
    for i in range(0, len(parts), 2):  # (the separators, kept by the split, at odd places)
        if not _TRADITIONAL.isdisjoint(parts[i]):
            parts[i] = _converted_piece(parts[i])
    return "".join(parts)


@functools.lru_cache(maxsize=8192)
def _converted_piece(piece: str) -> str:
    return _T2S._convert(piece, _T2S._dict_chain_data)  # what `OpenCC.convert` does to each piece


_base_lock = threading.Lock()
_base_segmenter: jieba.Tokenizer | None = None
_segmenters_made = 0


def _loaded_dictionary() -> jieba.Tokenizer:
    """jieba's dictionary, loaded in full (`jieba.Tokenizer().initialize()`), and written as
    the table the next segmenters read (`search.dictionary`)."""
    base = jieba.Tokenizer()
    base.initialize()
    dictionary.save(base)
    return base


def new_segmenter(words: list[tuple[str, int | None, str | None]] = ()) -> jieba.Tokenizer:
    """A jieba tokenizer with jieba's dictionary plus the Chinese domain `words`.

    jieba's dictionary is the largest thing a search process holds (half a million entries).
    It is read from a memory-mapped table, entry by entry as segmenting needs them
    (`search.dictionary`: nothing to load, its pages shared between processes), written by
    the first segmenter of the machine. Without a table, the dictionary is loaded whole:
    the first segmenter of a process gets the freshly loaded dictionary; a process that
    makes more keeps a pristine copy from then on and copies it for each."""
    global _base_segmenter, _segmenters_made
    with _base_lock:
        table = dictionary.table()
        if table is not None:
            segmenter = dictionary.LazyTokenizer(table)
        else:
            _segmenters_made += 1
            if _segmenters_made == 1:
                segmenter = _loaded_dictionary()
            else:
                if _base_segmenter is None:
                    _base_segmenter = _loaded_dictionary()
                else:
                    dictionary.save(_base_segmenter)  # the table has gone: write it again
                segmenter = jieba.Tokenizer()
                segmenter.FREQ = dict(_base_segmenter.FREQ)
                segmenter.total = _base_segmenter.total
                segmenter.initialized = True
    return add_domain_words(segmenter, words)


def add_domain_words(segmenter: jieba.Tokenizer, words: list[tuple[str, int | None, str | None]]
                     ) -> jieba.Tokenizer:
    """`segmenter` with the Chinese domain `words` added (folded, lower-cased)."""
    for word, freq, tag in words:
        word = fold_text(word.strip()).lower()
        if _IS_HAN.search(word) and " " not in word:
            # A frequency high enough that the word stays whole in any sentence.
            segmenter.add_word(word, freq or max(segmenter.suggest_freq(word, False), 3000), tag)
    return segmenter


def compound_terms(words: list[tuple[str, int | None, str | None]]) -> dict[tuple[str, ...], str]:
    """Multi-word Latin domain terms, as word tuples → the single token they become."""
    compounds = {}
    for word, _, _ in words:
        parts = tuple(_RUNS.findall(fold_text(word).lower()))
        parts = tuple(p[1] for p in parts if p[1])
        if len(parts) > 1 and not _IS_HAN.search(word):
            compounds[parts] = "".join(parts)
    return compounds


def han_words(segmenter: jieba.Tokenizer, run: str, mode: str = "search") -> list[tuple[str, int, int]]:
    """The words of one run of Chinese characters, with their offsets: jieba's (HMM on), and after
    a two-character word jieba's HMM glued from a stop character and another one — a word no
    dictionary has, which changes with the character before it (给子组件 → 给子, 向子组件 → 向子) —
    its two characters, so that its content character is a word of its own (子) wherever it comes.
    (The stop filter then drops the stop character.)"""
    words = []
    for word, start, end in segmenter.tokenize(run, mode=mode, HMM=True):
        words.append((word, start, end))
        if len(word) == 2 and (word[0] in STOP or word[1] in STOP) and not segmenter.FREQ.get(word):
            words += [(word[0], start, start + 1), (word[1], start + 1, end)]
    return words


class JiebaTokenizer(Tokenizer):
    """Folds characters, segments Chinese runs with jieba, splits other words."""

    def __init__(self, segmenter: jieba.Tokenizer, mode: str = "search"):
        self.segmenter = segmenter
        self.mode = mode

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in _RUNS.finditer(fold_text(value)):
            if match.group("han"):
                base = match.start()
                pieces = han_words(self.segmenter, match.group("han"), self.mode)
            else:
                base = 0
                pieces = [(match.group("word"), match.start(), match.end())]
            for text, start, end in pieces:
                token.text = WORD_FORMS.get(text.lower(), text)
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = pos
                    pos += 1
                if chars:
                    token.startchar = start_char + base + start
                    token.endchar = start_char + base + end
                yield token


class CompoundFilter(Filter):
    """Adds one token for each multi-word domain term ("apple pay" → "applepay")."""

    def __init__(self, compounds: dict[tuple[str, ...], str]):
        self.compounds = compounds
        self.longest = max((len(k) for k in compounds), default=0)

    def __call__(self, tokens):
        if not self.compounds:
            yield from tokens
            return
        window: list[tuple[str, int, int, int]] = []  # recent (text, pos, startchar, endchar)
        for token in tokens:
            # Record before yielding: later filters change the shared token in place.
            window.append((token.text, getattr(token, "pos", 0), getattr(token, "startchar", 0),
                           getattr(token, "endchar", 0)))
            window = window[-self.longest:]
            yield token
            for n in range(2, len(window) + 1):
                compound = self.compounds.get(tuple(t for t, *_ in window[-n:]))
                if compound:
                    token.text, token.pos = compound, window[-1][1]
                    token.stopped = False
                    if hasattr(token, "startchar"):
                        token.startchar, token.endchar = window[-n][2], window[-1][3]
                    yield token


def build_analyzer(words: list[tuple[str, int | None, str | None]] = ()):
    """The analyzer for a knowledge base whose domain dictionary is `words`."""
    segmenter = new_segmenter(words)
    return (JiebaTokenizer(segmenter) | LowercaseFilter() | CompoundFilter(compound_terms(words))
            | StopFilter(STOP, minsize=1) | StemFilter(lang="en", cachesize=100000))


class Analyzer:
    """`terms(text)` for indexing and queries; `spans(text)`, the same with offsets, for parsing a
    question; `matches(text, terms)`, the spans of some terms, for highlighting them.

    All three give exactly the pipeline's tokens (`build_analyzer`), computed without Whoosh's
    token objects and generators, remembering the segmentation of recent Chinese runs and the
    stem of each word: it is most of the CPU time of indexing."""

    def __init__(self, words: list[tuple[str, int | None, str | None]] = ()):
        self.pipeline = build_analyzer(words)
        self.spans = functools.lru_cache(maxsize=SPANS_CACHE)(self._spans)  # the same questions come again
        tokenizer, _, compound, stop, stem = self.pipeline.items
        self._segmenter, self._mode = tokenizer.segmenter, tokenizer.mode
        self._compounds, self._longest = compound.compounds, compound.longest
        self._stops, self._min_length = stop.stops, stop.min  # (no maximum, no stemming exceptions)
        # The stemmer itself: `_stems` remembers its answers (StemFilter's own cache costs more).
        self._stem_word = stemmer_for_language(stem.lang) if stem.lang else stem.stemfn
        self._stems: dict[str, str] = {}
        self._runs: dict[str, tuple[tuple[str, int, int], ...]] = {}

    def terms(self, text: str) -> list[str]:
        return self._tokens(text)

    def matches(self, text: str, wanted: set[str]) -> list[tuple[str, int, int]]:
        """The spans of `text` whose terms are among `wanted` — what `spans(text)` gives of them,
        in the same order — for highlighting a search's terms: a Chinese run holding none of the
        wanted terms is not segmented (its words are parts of it), which is most of the cost of
        analyzing a text the first time it is shown."""
        han = [term for term in wanted if _IS_HAN.search(term)]
        return [span for span in self._tokens(text, True, lambda run: any(term in run for term in han))
                if span[0] in wanted]

    def _tokens(self, text: str, offsets: bool = False, segmented=None) -> list:
        """The pipeline's tokens, step by step: JiebaTokenizer (folded text, Chinese runs segmented
        in search mode, other word runs whole), LowercaseFilter, CompoundFilter (after each token,
        the compounds ending with it), StopFilter (minsize 1), StemFilter: their terms, or with
        `offsets` (term, start, end) of each. `segmented(run)`: whether a Chinese run's words are
        wanted (default: every run's)."""
        out: list = []
        compounds, longest = self._compounds, self._longest
        window: list[tuple[str, int, int]] = []
        for match in _RUNS.finditer(fold_text(text)):
            han, base = match.group("han"), match.start()
            if han and segmented is not None and not segmented(han):
                # Left out; one empty word stands for its words in the window of compounds, which
                # are of Latin words only: none spans a Chinese word.
                pieces = (("", 0, 0),)
            else:
                pieces = self._han_tokens(han) if han else ((match.group("word"), 0, match.end() - base),)
            for piece, start, end in pieces:
                piece = piece.lower()
                piece = WORD_FORMS.get(piece, piece)
                self._add_term(out, piece, (base + start, base + end) if offsets else None)
                if compounds:
                    window.append((piece, base + start, base + end))
                    if len(window) > longest:
                        del window[0]
                    for n in range(2, len(window) + 1):
                        compound = compounds.get(tuple(word for word, _, _ in window[-n:]))
                        if compound:
                            self._add_term(out, compound, (window[-n][1], window[-1][2]) if offsets else None)
        return out

    def _add_term(self, out: list, text: str, span: tuple[int, int] | None) -> None:
        if len(text) >= self._min_length and text not in self._stops:
            stemmed = self._stems.get(text)
            if stemmed is None:
                if len(self._stems) >= TERMS_CACHE:
                    self._stems.clear()
                stemmed = self._stems[text] = self._stem_word(text)
            out.append(stemmed if span is None else (stemmed, *span))

    def _han_tokens(self, run: str) -> tuple[tuple[str, int, int], ...]:
        """The words jieba's search mode makes of one run of Chinese characters, with their offsets."""
        tokens = self._runs.get(run)
        if tokens is None:
            if len(self._runs) >= TERMS_CACHE:
                self._runs.clear()
            tokens = self._runs[run] = tuple(han_words(self._segmenter, run, self._mode))
        return tokens

    def _spans(self, text: str) -> tuple[tuple[str, int, int], ...]:
        return tuple(self._tokens(text, offsets=True))

    def is_word(self, text: str) -> bool:
        """Whether `text` is a word of the segmenter's dictionary (jieba's, with the domain words)."""
        segmenter = self.pipeline.items[0].segmenter
        return bool(segmenter.FREQ.get(text)) and text not in STOP

    def words(self, text: str, min_length: int = 3) -> list[str]:
        """Unstemmed lower-case Latin words of `text`, for spelling and pinyin."""
        return latin_words(text, min_length)


def inside_latin_word(text: str, position: int) -> bool:
    """Whether `position` falls between two ASCII letters or digits (inside a Latin word)."""
    return (0 < position < len(text) and bool(_LATIN_CHAR.match(text[position - 1]))
            and bool(_LATIN_CHAR.match(text[position])))


def latin_words(text: str, min_length: int = 3) -> list[str]:
    """`Analyzer.words`, which needs no dictionary (no segmenter is made for it)."""
    # The word runs of `_RUNS` (no Han character is in one, so they are found alike without it).
    runs = _WORD_RUNS.findall(fold_text(text))
    return [w.lower() for w in runs if len(w) >= min_length and w.isascii() and w.isalpha()]


_shared_lock = threading.Lock()
_shared: tuple[tuple, Analyzer] | None = None  # (domain words, the analyzer made for them)


def shared_analyzer(words: list[tuple[str, int | None, str | None]] = ()) -> Analyzer:
    """The analyzer for the domain dictionary `words`, shared by everything in this process that
    analyzes with it — the index versions a worker searches and the live writer that indexes each
    save — so that an index update neither loads jieba's dictionary again (a second of CPU holding
    the interpreter, which every request thread of the worker waited for) nor keeps a second copy
    of it. The last one made is kept (a changed dictionary replaces it)."""
    global _shared
    key = tuple(tuple(w) for w in words)
    with _shared_lock:
        if _shared is None or _shared[0] != key:
            _shared = (key, Analyzer(list(key)))
        return _shared[1]



def char_bigrams(text: str) -> list[str]:
    """Overlapping pairs of Chinese characters (a single character stands alone).

    Matching on pairs survives segmentation mismatches: 花呗 and 花/呗 share 花呗.
    """
    grams = []
    for run in _HAN_RUN.findall(fold_text(text)):
        grams += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return grams


def han_characters(text: str) -> list[str]:
    """Each Chinese character of `text`, folded.

    Short questions that say the same thing in other words still share characters
    (删不掉 and 删除, 还款 and 还钱), where their words and character pairs differ.
    """
    return [char for run in _HAN_RUN.findall(fold_text(text)) for char in run]


_LATIN_WORD = re.compile(r"[a-z0-9]+")
LATIN_GRAM_SIZES = (3, 4)


def latin_char_grams(text: str) -> list[str]:
    """Character 3- and 4-grams of each Latin word, marked at its edges: refund → _re, ref, …, nd_.

    Pieces of words match where whole words do not: other forms the stemmer leaves
    apart (deliver, delivery), joined and split words (topup, top-up), spelling slips.
    """
    grams = []
    for word in _LATIN_WORD.findall(fold_text(text).lower()):
        marked = f"_{word}_"
        for size in LATIN_GRAM_SIZES:
            grams += [marked[i:i + size] for i in range(max(1, len(marked) - size + 1))]
    return grams


def pinyin_keys(terms: list[str]) -> list[str]:
    """Full pinyin and initials of each Chinese term: 花呗 → huabei, hb.

    Lets users who type pinyin (`huabei`, `hb`) find Chinese articles.
    """
    from search import pinyin  # pypinyin: index time only, and only for terms not converted before

    chinese = [term for term in terms if len(term) >= 2 and _HAN_RUN.fullmatch(term)]
    return [key for pair in pinyin.keys(chinese) for key in pair]

