"""Ranking as ordered evidence: which articles answer a query, which unit is the answer card, and
how sure the search is.

1. **Words.** BM25F over the article fields, plus a share of the best section's own score (a
   long article is judged by its best section too), scaled by *coverage*: the share of the
   question's concepts — each weighted by its rarity among the articles — that the article
   holds (blended with its best section's), lifted where the question names a section's whole
   heading. Exact evidence decides first.
2. **Fuzzy evidence** (character pairs and characters, Latin n-grams, pinyin) adds at most a
   bounded share of the best word score to articles with words, and brings in articles without
   words only while no article covers the question.
3. **Phrasing models** (question classifier, embeddings) re-rank articles that list questions —
   the phrasings they learned from — within their weight of the best score.
4. **The card** is the best unit of the top article, unless a unit of another listed article
   covers clearly more of the question. Units rank by the share of the question they hold — a
   word in their own heading counting fully, in the headings above them or the title less, in
   their text least — plus the kind of value the question asks for (search.answer_types: 多久
   asks a duration), their own word score breaking ties.
5. **Confidence**: "high" when the card's unit, with its article's title and questions, covers
   most of the question by exact words; "none" when nothing has word evidence and nothing was
   found; "low" otherwise. A relative cut-off drops tail results that share only fragments.

Every weight and threshold is a field of `search.config.RankingConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from search.analysis import char_bigrams, han_characters
from search.config import RankingConfig
from search.query import ParsedQuery
from search.scoring import Bm25Scorer, Candidates, Extra, top

HAN_FIELDS = frozenset({"grams", "chars"})  # fuzzy evidence made of Chinese characters


@dataclass
class DocMap:
    """Which documents are articles and units, and the article document of each unit."""

    articles: np.ndarray  # bool per document
    units: np.ndarray  # bool per document
    parent: np.ndarray  # per document: its article's document number (-1: none)
    article_ids: dict[int, str]  # article document → article id
    bodyless: np.ndarray  # bool per document: an article with no body text (title and questions only)

    def children(self, article: int) -> np.ndarray:
        """The unit documents of `article`, in document order (the order of its sections)."""
        if not hasattr(self, "_children"):
            units = np.flatnonzero(self.units)
            order = np.argsort(self.parent[units], kind="stable")
            self._sorted, self._keys = units[order], self.parent[units][order]
            self._children = True
        start, end = np.searchsorted(self._keys, [article, article + 1])
        return self._sorted[start:end]

    def count_bodyless(self) -> int:
        """How many articles have no body (title and questions only)."""
        if not hasattr(self, "_bodyless_count"):
            self._bodyless_count = int(self.bodyless.sum())
        return self._bodyless_count

    def count_articles(self, population: np.ndarray | None = None) -> int:
        """How many articles the index holds (of `population`, a boolean array by document)."""
        counts = self.__dict__.setdefault("_counts", {})
        if id(population) not in counts:  # the array is kept with its count, so its id stays its own
            among = self.articles if population is None else self.articles & population
            counts[id(population)] = (population, int(among.sum()))
        return counts[id(population)][1]

    @classmethod
    def stored(cls, documents: dict[str, np.ndarray], docnums: dict[str, int], body_lengths: np.ndarray
               ) -> DocMap:
        """From the document map of the derived state (`search.derived`): nothing read from the index."""
        articles, units = np.asarray(documents["articles"]), np.asarray(documents["units"])
        return cls(articles, units, np.asarray(documents["parent"]),
                   {number: article_id for article_id, number in docnums.items()},
                   articles & (np.asarray(body_lengths) == 0))


@dataclass
class ArticleModel:
    """A phrasing model's view for ranking: its scores for a text, per article document."""

    weight: float
    rows: np.ndarray  # per document of the index: the row of its article in the model (-1: none)
    scores: object  # text → np.ndarray of scores (0–1), one per model article
    # (text, rows) → the scores of those rows only, where the model can score a few articles alone
    scores_of: object = None

    def scores_for(self, text: str, rows: np.ndarray) -> np.ndarray:
        """The model's scores for `text` of its articles at `rows`."""
        if self.scores_of is not None:
            return np.asarray(self.scores_of(text, rows))
        return np.asarray(self.scores(text))[rows]


@dataclass
class Ranking:
    """A search's evidence, one value per candidate document (`space`: the documents the query's
    postings touched, with their articles) — the rest of the index has none."""

    space: Candidates
    scores: np.ndarray  # per candidate: final article scores (0: not an article, or cut off)
    coverage: np.ndarray  # per candidate: share of the question's words it holds
    allowed: np.ndarray  # per candidate: whether the search may return it
    units: _UnitEvidence  # how well each unit answers, computed for the units asked about
    words: bool  # whether any allowed article has word evidence
    strong: bool  # whether some allowed article covers the question by words

    def top(self, limit: int, order: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """(the best `limit` allowed article documents, best first; how many allowed ones score).
        `order` (per document: a rank) orders equal scores; without it, document numbers do."""
        tiebreak = None if order is None else (lambda positions: order[self.space.docnums[positions]])
        positions, total = top(self.scores, self.allowed, limit, tiebreak)
        return self.space.docnums[positions], total

    def score(self, docnum: int) -> float:
        return float(self.space.at(self.scores, [docnum])[0])


@dataclass
class _UnitEvidence:
    """What choosing an article's answer unit needs, per candidate; `choice` computes it for some units
    (those of the articles shown) instead of for every unit of the index."""

    space: Candidates
    unit_space: Candidates  # the units with postings of their own (a second, smaller id space)
    docs: DocMap
    allowed: np.ndarray  # per document of the index
    unit_words: np.ndarray  # concepts × candidate units: the units' own weighted word scores
    unit_scores: np.ndarray  # per candidate unit: its own word score scaled by its coverage
    context_words: np.ndarray  # concepts × candidates: matched in an article's title or questions
    field_rows: object  # field name → concepts × candidates word scores in that field
    unit_rows: object  # unit field name → concepts × candidate units word scores in that field
    weights: np.ndarray
    groups: list[tuple[int, list[int]]]
    asks: list[str]
    values: dict[str, np.ndarray] | None
    lengths: dict[str, np.ndarray]
    config: RankingConfig
    # The articles whose title or one of whose listed questions the question matches exactly
    # (ignoring case and punctuation): it is a phrasing of the whole article.
    phrased: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # The meaning model's view of the units, where the index has it (search.passages): (article
    # document, its units' count) → the question's similarity with each unit, or None.
    meaning: object = None

    def choice(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For unit documents `units`: (how well each answers, to choose among an article's units;
        its coverage with its article's context; its own word score)."""
        config, space, unit_space = self.config, self.space, self.unit_space
        choice = np.zeros(len(units), dtype=np.float32)
        covered = np.zeros(len(units), dtype=np.float32)
        own_scores = unit_space.at(self.unit_scores, units)
        searched = np.flatnonzero(self.docs.units[units] & self.allowed[units])
        if not len(searched) or not len(self.weights):
            return choice, covered, own_scores
        every_unit = units[searched]
        parents = np.asarray(self.docs.parent[every_unit])
        unit_words = unit_space.at(self.unit_words, every_unit)
        unit_context = (unit_words > 0) | space.at(self.context_words, parents)
        covered[searched] = coverage(unit_context, self.weights, self.groups)

        # Which unit of an article answers: the one that holds most of the question, a word in its
        # heading or path counting fully, one only in its text at `unit_text_credit`; its own word
        # score breaks ties. The overview's path is the title (it has no heading of its own); a
        # section's path is the headings above it, under the title.
        overview = (self.lengths["u_heading"][every_unit] == 0) & (self.lengths["u_path"][every_unit] > 0)
        path_credit = np.where(overview, config.unit_overview_credit, config.unit_path_credit)
        title_credit = np.where(overview, 0.0, config.unit_title_credit)
        credit = np.zeros((len(self.weights), len(every_unit)), dtype=np.float32)
        for found, share in ((unit_words, config.unit_text_credit),
                             (space.at(self.field_rows("title"), parents), title_credit),
                             (unit_space.at(self.unit_rows("u_path"), every_unit), path_credit),
                             (unit_space.at(self.unit_rows("u_heading"), every_unit), 1.0)):
            credit = np.maximum(credit, share * (found > 0))
        # A question worded exactly as one of the article's listed questions asks what the whole
        # article answers: that question is the overview's path, as the title is (every word of it
        # at `unit_overview_credit`), so the overview answers unless a section's own heading holds
        # the words, or states the kind of value asked.
        phrased = overview & np.isin(parents, self.phrased)
        credit[:, phrased] = np.maximum(credit[:, phrased], config.unit_overview_credit)
        own = own_scores[searched]
        focus = coverage(credit, self.weights, self.groups)
        # A question asking for a kind of value (多久: a duration) is answered by a unit stating
        # one: each kind asked weighs `value_weight` × the question's average word.
        values = self.values
        asked = [values[kind][every_unit] for kind in self.asks if values and kind in values]
        if asked and config.value_weight:
            total = float(sum(self.weights[head] for head, _ in self.groups))
            each = config.value_weight * total / max(1, len(self.groups))
            focus = (focus * total + each * np.sum(asked, axis=0)) / (total + each * len(asked))
        choice[searched] = focus + config.unit_tiebreak * own / (own + config.unit_tiebreak_k)
        return choice, covered, own_scores


def concept_weights(matched: np.ndarray, among: np.ndarray, count: int | None = None) -> np.ndarray:
    """A weight per concept from its rarity among the documents `among` (BM25's idf, at least a
    little above 0): a word found nowhere weighs the most. `count`: how many documents `among`
    stands for, when it holds only the candidates of a search (default: its own count)."""
    n = max(1, int(among.sum()) if count is None else count)
    df = (matched & among).sum(axis=1).astype(np.float64)
    return np.log(1 + (n - df + 0.5) / (df + 0.5)) + 0.1


def _unfound_numbers(parsed: ParsedQuery, matched: np.ndarray) -> np.ndarray:
    """Per concept: a number found in no article — a card, phone or order number the customer
    typed — which says nothing about what they ask, so it weighs nothing in coverage."""
    return np.array([all(t.isdigit() for t in concept.alternatives[0][0]) and not row.any()
                     for concept, row in zip(parsed.concepts, matched, strict=True)], dtype=bool)


def _weigh_as_parts(weights: np.ndarray, groups: list[tuple[int, list[int]]], heads: set[int]) -> None:
    """In place: each word of the question heading a group in `heads` weighs no more than its parts
    together — a word found in no article whose parts are found (non-props → nonprop, 搜索词 → 搜索),
    or two words joined as a page writes them (log in → login): its rarity comes from how it is
    written, not from what it asks, and would otherwise outweigh every other word."""
    for head, parts in groups:
        if parts and head in heads:
            weights[head] = min(weights[head], float(weights[parts].sum()))


def coverage(matched: np.ndarray, weights: np.ndarray, groups: list[tuple[int, list[int]]]) -> np.ndarray:
    """Per column of `matched` (concepts × documents), the weighted share of the question's words it
    holds. A word is a group: its head concept, or all the shorter words inside it (银行卡 is
    covered by 银行卡, or in part by 银行)."""
    if not len(weights) or not groups:
        return np.zeros(matched.shape[1], dtype=np.float32)
    covered = np.zeros(matched.shape[1], dtype=np.float64)
    total = 0.0
    for head, parts in groups:
        share = matched[head].astype(np.float64)
        if parts:
            part_weights = weights[parts]
            share = np.maximum(share, (part_weights @ matched[parts]) / part_weights.sum())
        covered += weights[head] * share
        total += float(weights[head])
    if total <= 0:  # the question is only numbers found nowhere
        return np.zeros(matched.shape[1], dtype=np.float32)
    return (covered / total).astype(np.float32)


def _factor(config: RankingConfig, coverage: np.ndarray) -> np.ndarray:
    return config.coverage_floor + (1 - config.coverage_floor) * coverage ** config.coverage_power


def _unit_fields(config: RankingConfig) -> list[str]:
    """The fields of a unit's own evidence, and those its choice as the card reads."""
    return list(dict.fromkeys([*config.unit_fields, "u_path", "u_heading"]))


def _searched_fields(config: RankingConfig) -> list[str]:
    """Every field whose postings give a document evidence: article fields, pinyin, unit fields, and
    the fields the card choice reads."""
    fields = [*config.article_fields, *config.unit_fields, "title", "questions", "u_path", "u_heading"]
    if config.pinyin_weight:
        fields.append(config.pinyin_field)
    return list(dict.fromkeys(fields))


def rank(scorer: Bm25Scorer, docs: DocMap, parsed: ParsedQuery, allowed: np.ndarray,
         config: RankingConfig, extras: list[Extra], models: list[ArticleModel],
         lists_questions: np.ndarray, phrasing_extras: list[Extra] | None = None,
         values: dict[str, np.ndarray] | None = None, include=()) -> Ranking:
    """Article scores and the evidence behind them, for `parsed` over the `allowed` documents.

    Only the documents some posting of the query touches (and their articles, and `include`) can
    score: every array is over those candidates, so a search costs what its postings cost.
    `lists_questions`: per document, whether it is an article that lists questions.
    `extras` are the fuzzy tokens of the question's content words; `phrasing_extras` those of
    its whole text, for articles without a body (default: `extras`). `values`: per kind of
    value (search.answer_types), which unit documents state one.
    """
    # An article without a body is its phrasings: the whole text's pieces score those articles only.
    if phrasing_extras is not None:
        phrasing_extras = ([extra._replace(among=docs.bodyless) for extra in phrasing_extras]
                           if docs.count_bodyless() else None)
    fuzzy = [*extras, *(phrasing_extras or [])]
    # Words first: while some article covers the question by words (`strong`), fuzzy evidence only
    # adds to articles with words, so the documents the words touch are every candidate; else the
    # documents the fuzzy pieces touch are candidates too.
    words_only = scorer.candidates(parsed, _searched_fields(config), [], docs.parent, include)
    ranking = _rank(scorer, words_only, docs, parsed, allowed, config, extras, models, lists_questions,
                    phrasing_extras, values, include, complete=not any(extra.tokens for extra in fuzzy))
    if ranking is None:
        space = scorer.candidates(parsed, _searched_fields(config), fuzzy, docs.parent, include)
        ranking = _rank(scorer, space, docs, parsed, allowed, config, extras, models, lists_questions,
                        phrasing_extras, values, include, complete=True)
    return ranking


def _rank(scorer: Bm25Scorer, space: Candidates, docs: DocMap, parsed: ParsedQuery, allowed: np.ndarray,
          config: RankingConfig, extras: list[Extra], models: list[ArticleModel], lists_questions: np.ndarray,
          phrasing_extras: list[Extra] | None, values: dict[str, np.ndarray] | None, include,
          complete: bool) -> Ranking | None:
    """`rank` over the candidates `space`; None when no article covers the question by words and
    the space is not `complete` (holds only the documents the words touch)."""
    cand = space.docnums
    size = len(space)
    articles, bodyless = np.asarray(docs.articles[cand]), np.asarray(docs.bodyless[cand])
    searchable = np.asarray(allowed[cand])
    words = scorer.concepts(parsed, config.article_fields, space)
    # A Latin word that is the pinyin of a title or tag word (huabei → 花呗) counts as found.
    pinyin = (scorer.concepts(parsed, {config.pinyin_field: 1.0}, space) > 0 if config.pinyin_weight
              else words > 0)
    matched = (words > 0) | pinyin
    population = getattr(scorer, "population", None)  # a public search counts public articles only
    among = articles if population is None else articles & population[cand]
    weights = concept_weights(matched, among, docs.count_articles(population))
    weights[_unfound_numbers(parsed, matched)] = 0.0
    as_parts = set(parsed.joined)
    if config.unfound_word_as_parts:
        as_parts |= {head for head, _ in parsed.groups if not matched[head].any()}
    _weigh_as_parts(weights, parsed.groups, as_parts)
    covered = coverage(matched, weights, parsed.groups)
    exact = words.sum(axis=0) if len(words) else np.zeros(size, dtype=np.float32)

    # A section's own evidence: its heading and text, over the units with postings of their own.
    # One pass per field; a field set's scores are their weighted sum (BM25F sums fields).
    unit_space = scorer.candidates(parsed, _unit_fields(config), [], None, include)
    rows: dict[tuple[str, int], np.ndarray] = {}

    def field_rows(name: str, within: Candidates = space) -> np.ndarray:
        if (name, id(within)) not in rows:
            rows[(name, id(within))] = scorer.concepts(parsed, {name: 1.0}, within)
        return rows[(name, id(within))]

    def unit_rows(name: str) -> np.ndarray:
        return field_rows(name, unit_space)

    def fields_rows(fields: dict[str, float], within: Candidates = space) -> np.ndarray:
        return sum((weight * field_rows(name, within) for name, weight in fields.items()),
                   np.zeros((len(parsed.concepts), len(within)), dtype=np.float32))

    unit_words = fields_rows(config.unit_fields, unit_space)
    unit_exact = (unit_words.sum(axis=0) if len(unit_words)
                  else np.zeros(len(unit_space), dtype=np.float32))
    unit_own = coverage(unit_words > 0, weights, parsed.groups)
    unit_scores = unit_exact * _factor(config, unit_own)
    unit_docs = unit_space.docnums
    parents = np.asarray(docs.parent[unit_docs])
    units = np.flatnonzero(np.asarray(docs.units[unit_docs]) & (unit_scores > 0)
                           & np.asarray(allowed[unit_docs]) & (parents >= 0))
    best_section = np.zeros(size, dtype=np.float32)
    np.maximum.at(best_section, space.positions(parents[units]), unit_scores[units])

    # The title and questions are every unit's context.
    context_words = (fields_rows({"title": 1.0, "questions": 1.0}) > 0) | pinyin
    context_coverage = coverage(context_words, weights, parsed.groups)
    # A page is judged by its sections too: how much of the question its best section holds (with
    # the title and questions above it), and whether a section's whole heading is named by it.
    section_coverage, named_heading = _section_evidence(
        scorer, unit_space, unit_words, field_rows("u_heading", unit_space), context_words, space,
        parents, units, weights, parsed.groups, covered)
    focus = (1 - config.section_coverage) * covered + config.section_coverage * section_coverage

    # Attribute before text: the question's words in the title or questions lift an article with a
    # body (an article without one is nothing but its title and questions).
    scores = ((exact + config.section_weight * best_section) * _factor(config, focus)
              * (1 + config.title_boost * np.where(bodyless, 0, context_coverage))
              * (1 + config.heading_boost * named_heading))
    scores[~articles] = 0
    has_words = ((exact > 0) | (covered > 0)) & articles & searchable
    constrained = bool(parsed.excluded) or any(c.required for c in parsed.concepts)
    best = float(scores[has_words].max()) if has_words.any() else 0.0
    strong = bool(has_words.any()) and float(covered[has_words].max()) >= config.strong_coverage
    if not strong and not complete:
        return None

    if config.fuzzy_unmatched_only and len(weights):
        fuzzy = _fuzzy(scorer, extras, parsed, matched, has_words, ~bodyless, constrained, space)
    else:
        fuzzy = scorer.extras(extras, has_words, constrained, space)
    if phrasing_extras is not None and bodyless.any():
        whole = scorer.extras(phrasing_extras, has_words, constrained, space)
        fuzzy[bodyless] = whole[bodyless]
    fuzzy[~articles] = 0
    bound = np.full(size, config.fuzzy_bound * best if best > 0 else np.inf, dtype=np.float32)
    # An article without a body is its phrasings: their characters are all the evidence it has.
    bound[bodyless] = np.inf
    scores[has_words] += np.minimum(fuzzy, bound)[has_words]
    if not strong:
        scores[~has_words] += config.fuzzy_only_weight * fuzzy[~has_words]

    top_score = float(scores[searchable].max()) if searchable.any() else 0.0
    if top_score > 0:
        # The models re-rank scoring articles that list questions; only their rows are scored.
        gated = np.flatnonzero((scores > 0) & np.asarray(lists_questions[cand]))
        for model in models:
            model_rows = np.asarray(model.rows[cand[gated]])
            known = model_rows >= 0
            if not known.any():
                continue  # no candidate lists questions: the model has nothing to say (and costs most)
            model_rows = model_rows[known]
            found = model.scores_for(parsed.text, model_rows)
            scores[gated[known]] += model.weight * top_score * found

    scores[~scorer.constraints(parsed, words, config.article_fields, space)] = 0
    evidence = _UnitEvidence(space, unit_space, docs, allowed, unit_words, unit_scores, context_words,
                             field_rows, unit_rows, weights, parsed.groups, parsed.asks, values,
                             scorer.lengths, config)
    return Ranking(space=space, scores=scores, coverage=covered, allowed=searchable, units=evidence,
                   words=bool(has_words.any()), strong=strong)


def _section_evidence(scorer: Bm25Scorer, unit_space: Candidates, unit_words: np.ndarray,
                      heading_words: np.ndarray, context_words: np.ndarray, space: Candidates,
                      parents: np.ndarray, units: np.ndarray, weights: np.ndarray,
                      groups: list[tuple[int, list[int]]], covered: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate article, from its sections (the candidate units `units`, `parents` their
    articles): the coverage of its best section, its heading and text with the article's title and
    questions (an article without sections: its own `covered`); and the share of the question held
    by the heading of a section whose every word the question has (created, 全局注册: the question
    names that section), 0 where the question names no heading whole."""
    best = covered.copy()
    named = np.zeros(len(space), dtype=np.float32)
    if not len(units) or not len(weights):
        return best, named
    owners = space.positions(parents[units])
    sectioned = np.zeros(len(space), dtype=bool)
    sectioned[owners] = True
    best[sectioned] = 0
    np.maximum.at(best, owners, coverage((unit_words[:, units] > 0) | context_words[:, owners],
                                         weights, groups))
    in_heading = heading_words[:, units] > 0
    length = scorer.lengths["u_heading"][unit_space.docnums[units]]
    whole = (length > 0) & (in_heading.sum(axis=0) >= length)
    np.maximum.at(named, owners, np.where(whole, coverage(in_heading, weights, groups), 0))
    return best, named


def _group_hits(matched: np.ndarray, groups: list[tuple[int, list[int]]]) -> np.ndarray:
    """Per word of the question (group) and document: whether the document has that word."""
    hits = np.zeros((len(groups), matched.shape[1]), dtype=bool)
    for n, (head, parts) in enumerate(groups):
        hits[n] = matched[head] | (matched[parts].all(axis=0) if parts else False)
    return hits


def _fuzzy(scorer: Bm25Scorer, extras: list[Extra], parsed: ParsedQuery, matched: np.ndarray,
           has_words: np.ndarray, bodied: np.ndarray, constrained: bool, space: Candidates) -> np.ndarray:
    """The extras' scores, where an article with words and a body counts a Chinese character or
    character pair only for the question's words it does not have (银行卡删不掉: an article with
    银行卡 is judged by 删, 不, 掉) — fuzzy evidence fills in where exact evidence is absent, it
    does not repeat it. An article without a body is its phrasings: every token counts."""
    hits = _group_hits(matched, parsed.groups)
    owners: dict[str, list[int]] = {}
    for n, (head, _) in enumerate(parsed.groups):
        word = parsed.concepts[head].alternatives[0][0][0]
        for token in {*han_characters(word), *char_bigrams(word)}:
            owners.setdefault(token, []).append(n)

    def only_for_missing_words(extra: Extra, token: str, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if extra.field not in HAN_FIELDS:
            return scores
        groups = owners.get(token, [])
        missing = (~hits[groups][:, docs]).any(axis=0) if groups else np.zeros(len(docs), dtype=bool)
        return np.where(has_words[docs] & bodied[docs] & ~missing, 0, scores)

    return scorer.extras(extras, has_words, constrained, space, adjust=only_for_missing_words)


def cut_off(ranking: Ranking, config: RankingConfig) -> None:
    """Drop, in place, the tail that shares only fragments with the question: results far below
    the top score (`cutoff`) that also cover less than half of what the top result covers."""
    candidates = ranking.allowed & (ranking.scores > 0)
    if not candidates.any():
        return
    best = int(np.flatnonzero(candidates)[np.argmax(ranking.scores[candidates])])
    top_score, top_coverage = float(ranking.scores[best]), float(ranking.coverage[best])
    weak = (ranking.scores < config.cutoff * top_score) & (ranking.coverage < 0.5 * top_coverage)
    weak[best] = False
    ranking.scores[candidates & weak] = 0


def fuse_meaning(ranking: Ranking, model: ArticleModel, text: str, order: np.ndarray, exact,
                 config: RankingConfig) -> None:
    """Re-order, in place, the articles the words ranked (after the cut-off) by reciprocal rank
    fusion with the meaning model's ranking of them (`search.passages`): score ∝ 1 / (k + rank by
    words) + weight / (k + ½ + rank by meaning), scaled so the top keeps the top word score. No
    article is added or dropped; articles `exact` (the question phrases them) stay first; an
    article the model has no vectors for yet ranks last by meaning. `order`: per document, the
    rank of its article id, which breaks ties."""
    ranked = np.flatnonzero(ranking.allowed & (ranking.scores > 0))
    if len(ranked) < 2:
        return
    docnums = ranking.space.docnums[ranked]
    rows = np.asarray(model.rows[docnums])
    known = rows >= 0
    if not known.any():
        return
    similarity = np.full(len(ranked), -np.inf)
    similarity[known] = model.scores_for(text, rows[known])
    scores = ranking.scores[ranked]
    tiebreak = np.asarray(order[docnums])
    by_words = np.empty(len(ranked))
    by_words[np.lexsort((tiebreak, -scores))] = np.arange(len(ranked))
    by_meaning = np.empty(len(ranked))
    by_meaning[np.lexsort((tiebreak, -similarity))] = np.arange(len(ranked))
    # Ranks count from 1; the meaning's from 1.5, so that where the two rankings disagree evenly
    # (each puts the other's first second) the words decide.
    fused = 1 / (config.passage_k + 1 + by_words) + model.weight / (config.passage_k + 1.5 + by_meaning)
    fused[np.isin(docnums, np.asarray(exact, dtype=np.int64))] += 1 + model.weight
    ranking.scores[ranked] = float(scores.max()) * fused / float(fused.max())


@dataclass
class Card:
    """An answer unit chosen for an article: its article document, its unit document (-1: the
    article's own stored answer), how much of the question it covers, and its score."""

    article: int
    unit: int
    coverage: float
    score: float


def best_units(ranking: Ranking, docs: DocMap, articles: np.ndarray, has_answer, config: RankingConfig
               ) -> dict[int, Card | None]:
    """For each of the article documents `articles`, the unit with the most evidence of its own (its
    heading and text, scaled by how much of the question they hold) — the one most similar in
    meaning where that evidence is weak and the meaning model is on; the first unit (the overview)
    when none matches. An article without units: its stored single answer, if it has one
    (`has_answer(docnum)`), else None. The units of all of them are weighed in one pass."""
    articles = list(dict.fromkeys(int(a) for a in articles))
    children = [docs.children(article) for article in articles]
    units = np.concatenate(children) if children else np.zeros(0, dtype=np.int64)
    choice, covered, own = ranking.units.choice(units)
    cards: dict[int, Card | None] = {}
    at = 0
    for article, kids in zip(articles, children, strict=True):
        count = len(kids)
        if count:
            mine = choice[at:at + count]
            best = int(np.argmax(mine))
            # Where no unit holds much of the question (`unit_meaning_below`), the words do not tell
            # well which one answers: the meaning model, where the index has it, adds its view.
            if covered[at + best] < config.unit_meaning_below and ranking.units.meaning is not None:
                similarity = ranking.units.meaning(article, count)
                spread = similarity.std() if similarity is not None else 0.0
                if spread > 0:
                    nearer = (similarity - similarity.mean()) / spread
                    best = int(np.argmax(mine + config.unit_meaning_weight * nearer))
            cards[article] = Card(article, int(kids[best]), float(covered[at + best]), float(own[at + best]))
        elif has_answer(article):
            coverage_of, score = ranking.space.at(ranking.coverage, [article])[0], ranking.score(article)
            cards[article] = Card(article, -1, float(coverage_of), score)
        else:
            cards[article] = None
        at += count
    return cards


def choose_cards(cards: list[Card], config: RankingConfig) -> list[Card]:
    """The answer cards, from the best units of the ranked articles `cards` (in rank order): the
    first is the top article's unless another of the first `card_articles` has a unit covering
    clearly more of the question; then the others in rank order."""
    if not cards:
        return []
    first = cards[0]
    contenders = [c for c in cards[:config.card_articles]
                  if c.coverage >= first.coverage + config.card_margin]
    if contenders:
        first = max(contenders, key=lambda c: c.coverage)
    return ([first] + [c for c in cards if c is not first])[:config.max_answers]


def confidence(ranking: Ranking, card: Card | None, found: bool, config: RankingConfig) -> str:
    """high | low | none, from exact evidence comparable across queries (coverage), not scores:
    none when nothing was found or no article has a word of the question; high when the card
    covers at least `high_coverage` of it; low otherwise."""
    if not found or not ranking.words:
        return "none"
    if card is not None and card.coverage >= config.high_coverage:
        return "high"
    return "low"
