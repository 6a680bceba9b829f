"""Measuring search quality: a queries file in, MRR and hit rates out; and the answer
bot's triage: answered correctly, answered wrongly, handed over.

A queries file has one query per line: `query<TAB>space-separated relevant ids`,
optionally followed by `<TAB>acceptable section headings, | separated` (the answer
card is right when it comes from a relevant article under one of them); an id may
be written as the page path (`guide/intro.md`: the `.md` is dropped).
`query<TAB>-` marks an off-topic question, one the knowledge base does not answer
(ranking figures leave those out; the off-topic figure and the triage count them).
An off-topic file (`read_off_topic`) may also be plain text, one question a line.

The search itself is passed in as a function, so this module knows nothing of how
results are produced; `kb eval` hands it the product's real search path. It returns
either the ranked ids or a `Found` (ids, the answer card's article and heading, the
confidence), which adds the answer-section, card-rate and off-topic figures.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEPTH = 10
OFF_TOPIC = "-"
HIGH = "high"


def plain_heading(heading: str) -> str:
    """How headings are compared by default: spaces collapsed, case folded."""
    return re.sub(r"\s+", " ", heading).strip().casefold()


class QueriesFileError(ValueError):
    """A queries file line that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Judgement:
    query: str
    relevant: frozenset[str]  # empty: an off-topic question
    sections: tuple[str, ...] = ()  # acceptable headings of the answer card (empty: not judged)

    @property
    def off_topic(self) -> bool:
        return not self.relevant


@dataclass
class Found:
    """What one search showed: the ranked ids, the answer card and how sure the search was."""

    ranked: list[str]
    answer: tuple[str, str] | None = None  # (article id, heading) of the first answer card
    confidence: str | None = None  # high | low | none; None: the system has no such notion


@dataclass
class QueryOutcome:
    query: str
    relevant: frozenset[str]
    ranked: list[str]
    seconds: float
    sections: tuple[str, ...] = ()
    answer: tuple[str, str] | None = None
    confidence: str | None = None
    same_heading: Callable[[str], str] = plain_heading

    @property
    def right_section(self) -> bool:
        """Whether the first answer card comes from a relevant article under an acceptable heading."""
        if self.answer is None:
            return False
        article_id, heading = self.answer
        return article_id in self.relevant and self.same_heading(heading) in {
            self.same_heading(h) for h in self.sections}

    @property
    def rank(self) -> int | None:
        """1-based rank of the first relevant result within the top `DEPTH`, else None."""
        return next((n for n, i in enumerate(self.ranked[:DEPTH], start=1) if i in self.relevant), None)


@dataclass
class Evaluation:
    outcomes: list[QueryOutcome] = field(default_factory=list)  # on-topic questions
    off_topic: list[QueryOutcome] = field(default_factory=list)

    def hit_at(self, k: int) -> float:
        return sum(1 for o in self.outcomes if o.rank and o.rank <= k) / max(1, len(self.outcomes))

    @property
    def mrr(self) -> float:
        return sum(1 / o.rank for o in self.outcomes if o.rank) / max(1, len(self.outcomes))

    @property
    def section_at_1(self) -> float | None:
        """Share of the questions with acceptable headings whose first card is a right section."""
        judged = [o for o in self.outcomes if o.sections and o.confidence is not None]  # systems with cards
        return sum(o.right_section for o in judged) / len(judged) if judged else None

    @property
    def card_rate(self) -> float | None:
        """Share of on-topic questions answered with a high-confidence card."""
        judged = [o for o in self.outcomes if o.confidence is not None]
        return sum(o.confidence == HIGH for o in judged) / len(judged) if judged else None

    @property
    def off_topic_high(self) -> float | None:
        """Off-topic false-answer rate: share of off-topic questions given a high-confidence card."""
        judged = [o for o in self.off_topic if o.confidence is not None]
        return sum(o.confidence == HIGH for o in judged) / len(judged) if judged else None

    def latency_ms(self, percentile: float) -> float:
        times = sorted(o.seconds for o in self.outcomes + self.off_topic)
        if not times:
            return 0.0
        return 1000 * times[min(len(times) - 1, round(percentile / 100 * (len(times) - 1)))]

    def worst(self, n: int = 20) -> list[QueryOutcome]:
        """Misses first, then the lowest-ranked hits."""
        return sorted((o for o in self.outcomes if o.rank != 1),
                      key=lambda o: -(o.rank or DEPTH + 1))[:n]

    def summary(self) -> dict:
        return {"queries": len(self.outcomes), "mrr@10": round(self.mrr, 4),
                "hit@1": round(self.hit_at(1), 4), "hit@3": round(self.hit_at(3), 4),
                "hit@5": round(self.hit_at(5), 4), "hit@10": round(self.hit_at(10), 4),
                "section@1": _rounded(self.section_at_1), "card_rate": _rounded(self.card_rate),
                "off_topic": len(self.off_topic), "off_topic_high": _rounded(self.off_topic_high),
                "p50_ms": round(self.latency_ms(50), 2), "p95_ms": round(self.latency_ms(95), 2),
                "mean_ms": round(statistics.fmean(o.seconds for o in self.outcomes) * 1000, 2)
                if self.outcomes else 0.0}

    def wrong_sections(self, n: int = 20) -> list[QueryOutcome]:
        """Judged questions whose first card is not a right section."""
        return [o for o in self.outcomes if o.sections and not o.right_section][:n]

    def off_topic_answered(self) -> list[QueryOutcome]:
        return [o for o in self.off_topic if o.confidence == HIGH]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _lines(path: Path):
    """(line number, line) of a queries file, blank lines and `#` comments skipped."""
    for n, line in enumerate(Path(path).read_text("utf-8-sig").splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            yield n, line


def read_queries(path: Path) -> list[Judgement]:
    """The judgements in a queries file; blank lines and `#` comments are skipped."""
    judgements = []
    for n, line in _lines(path):
        query, tab, rest = line.partition("\t")
        ids, _, headings = rest.partition("\t")
        if not tab or not query.strip() or not ids.split():
            raise QueriesFileError(f"{path}:{n}: expected `query<TAB>relevant ids` (or `-` when off-topic)")
        relevant = frozenset(i.removesuffix(".md") for i in ids.split()) - {OFF_TOPIC}
        if OFF_TOPIC in ids.split() and relevant:
            raise QueriesFileError(f"{path}:{n}: `-` (off-topic) cannot go with article ids")
        sections = tuple(h.strip() for h in headings.split("|") if h.strip())
        judgements.append(Judgement(query.strip(), relevant, sections))
    return judgements


def read_off_topic(path: Path) -> list[Judgement]:
    """Off-topic questions: a queries file of `query<TAB>-` lines, or plain text, one a line."""
    judgements = []
    for n, line in _lines(path):
        query, tab, ids = line.partition("\t")
        if tab and ids.strip() != OFF_TOPIC:
            raise QueriesFileError(f"{path}:{n}: an off-topic question is `query` or `query<TAB>-`")
        judgements.append(Judgement(query.strip(), frozenset()))
    return judgements


def evaluate(judgements: list[Judgement], search: Callable[[str], list[str] | Found],
             same_heading: Callable[[str], str] = plain_heading) -> Evaluation:
    """Run every query through `search` (query → ranked ids or a `Found`) and keep the outcomes;
    off-topic questions are kept apart. `same_heading` normalises headings before comparing."""
    evaluation = Evaluation()
    for judgement in judgements:
        started = time.perf_counter()
        found = search(judgement.query)
        seconds = time.perf_counter() - started
        if not isinstance(found, Found):
            found = Found(list(found))
        outcome = QueryOutcome(judgement.query, judgement.relevant, found.ranked, seconds,
                               judgement.sections, found.answer, found.confidence, same_heading)
        (evaluation.off_topic if judgement.off_topic else evaluation.outcomes).append(outcome)
    return evaluation


# -- the answer bot's triage ------------------------------------------------------------------------
@dataclass
class TriageOutcome:
    query: str
    relevant: frozenset[str]
    answered: str | None  # the article the bot answered from; None: it handed over

    @property
    def verdict(self) -> str:
        """`correct`, `wrong` (an answer from another article, or any answer off-topic) or `handed_over`."""
        if self.answered is None:
            return "handed_over"
        return "correct" if self.answered in self.relevant else "wrong"


@dataclass
class Triage:
    outcomes: list[TriageOutcome] = field(default_factory=list)

    def count(self, verdict: str, off_topic: bool | None = None) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict
                   and (off_topic is None or (not o.relevant) == off_topic))

    def summary(self) -> dict:
        """AliMe-style figures, overall and for on-topic and off-topic questions."""
        on = sum(1 for o in self.outcomes if o.relevant)
        off = len(self.outcomes) - on
        share = lambda n, d: round(n / d, 4) if d else None  # noqa: E731
        return {
            "questions": len(self.outcomes), "on_topic": on, "off_topic": off,
            "answered_correctly": self.count("correct"), "answered_wrongly": self.count("wrong"),
            "handed_over": self.count("handed_over"),
            "on_topic_answered_correctly": share(self.count("correct", False), on),
            "on_topic_answered_wrongly": share(self.count("wrong", False), on),
            "on_topic_handed_over": share(self.count("handed_over", False), on),
            "off_topic_answered": share(self.count("wrong", True), off),
            "off_topic_handed_over": share(self.count("handed_over", True), off),
            "answered_wrongly_of_all": share(self.count("wrong"), len(self.outcomes)),
        }

    def wrong(self) -> list[TriageOutcome]:
        return [o for o in self.outcomes if o.verdict == "wrong"]


def triage(judgements: list[Judgement], answer: Callable[[str], str | None]) -> Triage:
    """Ask the bot every question: `answer` returns the article it answered from, or None."""
    return Triage([TriageOutcome(j.query, j.relevant, answer(j.query)) for j in judgements])
