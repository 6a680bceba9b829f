"""`RankingConfig`: every weight and rule of the ranking, in one documented object.

Ranking follows ordered evidence, as Meilisearch's ranking rules do: exact word
matches decide first (which of the question's words an article has, in which
field, how many of them one section holds); fuzzy evidence — Chinese character
pairs and single characters, Latin n-grams, pinyin, spelling corrections, the
question classifier and the phrasing embeddings — may bring in candidates only
when word evidence is weak or absent, and re-ranks only within the bounds below.

A `SearchIndex` takes one (`SearchIndex(index_dir, config=RankingConfig())`);
tests build their own with `dataclasses.replace(RankingConfig(), ...)` instead of
patching module constants. Every default was measured with `bench/quality.py` on
all sets at once (docs/quality.md); none knows a corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _article_fields() -> dict[str, float]:
    return {"title": 2.0, "questions": 3.0, "tags": 2.0, "headings": 1.5, "body": 1.0}


def _unit_fields() -> dict[str, float]:
    return {"u_heading": 2.5, "u_text": 1.0, "u_path": 1.0}


def _field_b() -> dict[str, float]:
    return {"title": 1.0, "questions": 1.0, "latin_grams": 1.0, "u_heading": 0.3}


@dataclass(frozen=True)
class RankingConfig:
    # -- rule 1: exact words ------------------------------------------------------------------
    # BM25F weight of each article field and of each answer-unit field: title and questions
    # above headings above body; a unit's heading above its text.
    article_fields: dict[str, float] = field(default_factory=_article_fields)
    unit_fields: dict[str, float] = field(default_factory=_unit_fields)
    # BM25 length normalization per field (default `b_default`): a long title or question that
    # only partly matches is penalized fully; headings barely.
    field_b: dict[str, float] = field(default_factory=_field_b)
    b_default: float = 0.75
    k1: float = 1.2
    synonym_weight: float = 0.8  # a synonym from _synonyms.txt counts a little less than the word
    typo_weight: float = 0.7  # a spelling correction counts a little less than the word as typed
    # A long article is judged by its best section too: this fraction of its best unit's word
    # score joins its own, so a manual whose one section answers is not buried by short pages.
    section_weight: float = 1.0
    # Coverage — the share of the question's words (weighted by rarity) an article has — scales
    # the word score: score × (floor + (1 − floor) × coverage ** power). An article holding every
    # word beats one that repeats a few.
    coverage_floor: float = 0.25
    # A word of the question found in no article whose parts are found (keep-alive's joined form,
    # 搜索词 over 搜索) weighs at most its parts' weights together: not as a word found nowhere.
    unfound_word_as_parts: bool = True
    # A Chinese word of the question no article holds (jieba glued a character to a word its
    # dictionary lacks: 带防抖) has the longest words inside it that articles hold (防抖) as
    # alternatives at this weight (search.query.add_found_parts). 0 turns it off.
    found_parts_weight: float = 1.0
    # Two neighbouring Latin words of the question that articles write as one (log in → login,
    # look up → lookup) have that joined word as an alternative (search.query.add_joined_words),
    # weighing no more than the two words. False turns it off.
    joined_words: bool = True
    # Attribute rule: the share of the question's words found in the title or questions multiplies
    # the score by (1 + title_boost × that share), as a match in the title outranks one in the text.
    title_boost: float = 0.5
    # Exactness: a question worded exactly as an article's title, one of its listed questions or the
    # heading of one of its sections (ignoring case and punctuation) adds this multiple of the best
    # score to that article.
    exact_boost: float = 1.0
    coverage_power: float = 1.0
    # Sections: the coverage that scales the score is this blend of the article's own and its best
    # section's (a section's heading and text with the title and questions above it), so a page
    # holding the question's words in one place beats one that has them scattered over its length.
    section_coverage: float = 0.2
    # A question that names a section's whole heading (created 钩子里能不能操作 dom → `created`)
    # multiplies its article's score by (1 + heading_boost × the share of the question that
    # heading holds), as the title's words do through `title_boost`.
    heading_boost: float = 1.0

    # -- rule 2: fuzzy evidence, bounded --------------------------------------------------------
    grams_weight: float = 2.0  # Chinese character pairs of title and questions
    chars_weight: float = 6.0  # single Chinese characters of title and questions
    latin_grams_weight: float = 0.6  # character 3/4-grams of Latin words of title and questions
    pinyin_weight: float = 2.0  # pinyin of Chinese title and tag words, for Latin query words
    pinyin_field: str = "pinyin"
    # Articles matched by characters alone must share this share of the query's characters.
    min_shared_characters: float = 0.5
    # Where an article with a body has word evidence, fuzzy evidence (which comes from its title
    # and questions) adds at most this fraction of the best word score of the search. An article
    # without a body is its phrasings: for it the bound does not apply.
    fuzzy_bound: float = 0.1
    # An article with words and a body counts Chinese characters and pairs only for the question's
    # words it lacks: fuzzy evidence fills in where exact evidence is absent instead of repeating it.
    fuzzy_unmatched_only: bool = True
    # Articles with no word evidence are candidates only when the best article's coverage is
    # below `strong_coverage`; their fuzzy score then counts at this fraction.
    strong_coverage: float = 0.99
    fuzzy_only_weight: float = 0.3
    # The article models' scores (0–1) join the word scores at these fractions of the best word
    # score — only for articles that list questions (the phrasings they learn from): a page that
    # is a title over a body gets no phrasing signal.
    classifier_weight: float = 0.3
    meaning_weight: float = 2.0
    # The meaning model (search.passages, where the index has it) re-orders what the words found:
    # each article's rank by words and its rank by its best passage's similarity to the question
    # are fused as 1 / (passage_k + word rank) + passage_weight / (passage_k + meaning rank)
    # (reciprocal rank fusion). It adds no article and drops none; an article the question
    # phrases exactly stays first. 0 turns it off.
    passage_weight: float = 1.0
    passage_k: float = 30.0
    # It also helps choose an article's answer unit where the words cannot: when the unit they
    # choose covers less than `unit_meaning_below` of the question (its card would not be
    # confident), each unit's word choice gains `unit_meaning_weight` × how far its passage's
    # similarity to the question lies above the article's mean, in standard deviations of the
    # article's units (so the model's scale does not matter). 0 turns either off.
    unit_meaning_below: float = 0.5
    unit_meaning_weight: float = 0.05

    # -- rule 3: the vocabulary bridge (search.bridge) ------------------------------------------
    # A Chinese word of the question held by at most `bridge_max_articles` documents gets
    # CC-CEDICT's English terms for it (网址 → url) as alternatives at `bridge_weight` (and an
    # English word in a Chinese question the Chinese words it translates), each only where the
    # articles use it; so does one whose English term the articles use more: held by at least
    # 1 / `bridge_rarer` as many documents (布尔 → boolean where pages write Boolean). 0 turns
    # the bridge off.
    bridge_weight: float = 0.5
    bridge_max_articles: int = 0
    bridge_rarer: float = 0.5

    # -- the answer card -----------------------------------------------------------------------
    max_answers: int = 3
    unit_candidates: int = 60
    # The card comes from the top article's best unit unless the best unit of another of the first
    # `card_articles` articles covers at least `card_margin` more of the question. Three: the cards
    # shown (`max_answers`); a fourth or fifth page's card taking the first place was wrong on every
    # set where it happened (measured: vue-en, vue-zh, golden).
    card_articles: int = 3
    card_margin: float = 0.25
    # Among an article's units the card is the one holding most of the question (coverage by
    # rarity-weighted words), a word in its heading or path (`unit_heading_fields`) counting
    # fully and one only in its text at `unit_text_credit`; its own word score s breaks ties
    # as `unit_tiebreak` × s / (s + `unit_tiebreak_k`).
    unit_path_credit: float = 0.8
    unit_overview_credit: float = 0.7
    unit_text_credit: float = 0.4
    unit_title_credit: float = 0.6
    # A question asking for a kind of value (a duration, a time of day, a date, an amount:
    # search.answer_types) counts a unit stating one as holding a word of this multiple of the
    # question's average word weight.
    value_weight: float = 2.0
    unit_tiebreak: float = 0.3
    unit_tiebreak_k: float = 10.0

    # -- confidence and the cut-off ------------------------------------------------------------
    # "high": the card's unit (with its article's title) covers at least `high_coverage` of the
    # question's words by exact evidence. "none": no article has word evidence covering at
    # least `none_coverage` and fuzzy evidence is absent.
    high_coverage: float = 0.5
    none_coverage: float = 0.0
    # Results below this fraction of the top score that also cover less than half of what the top
    # result covers are dropped (they share only fragments with the question).
    cutoff: float = 0.15

    def b(self, name: str) -> float:
        return self.field_b.get(name, self.b_default)
