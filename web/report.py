"""What the search analytics say, for `/agent/insights` and `kb report`.

`build(engine, days, questions_of)` reads the `events` and `feedback` tables
(`web.database`) and returns a `Report`: totals (zero-result rate, click-through,
self-service rate, the bot's answer and hand-over rates), searches per day, top
queries with click-through and mean click position, the content gaps (queries with
no result or no confident answer, grouped by normalised form), the articles voted
没帮助 most, the hand-over reasons, and per article the queries that led to it but are
not among its questions, as a front-matter snippet to paste. Plain data: the page,
the CSV files and the command line render the same thing.

Definitions. A *search* is a search or a question to the bot (`events.kind` search
or ask, with a search run). *Zero-result rate*: the share of searches that found no
article. *No-answer rate*: the share that gave the asker no answer — no article, or
articles sharing only fragments with the question (confidence none: the help center
showed its no-results page, the bot said it had no answer). *Click-through*: of the
distinct (session, query) pairs searched, the share followed by a click on a result of
that query. *Self-service rate*: of the sessions (a visitor on one day), the share
without a hand-over.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import escape

import yaml
from sqlalchemy import Engine, and_, case, func, or_, select

from kb.privacy import CARD, EMAIL, ID_NUMBER, NUMBER, PHONE
from web.analytics import local_day, normalize
from web.database import EVENTS, FEEDBACK

TOP = 20  # rows of each table
SUGGESTIONS_PER_ARTICLE = 5
MASKS = (CARD, PHONE, ID_NUMBER, EMAIL, NUMBER)
TABLES = ("per_day", "top_queries", "content_gaps", "not_helpful", "handover_reasons", "question_suggestions")

# (title, questions) of a visible article, or None: how the report learns what articles ask.
QuestionsOf = Callable[[str], "tuple[str, list[str]] | None"]


@dataclass
class Report:
    days: int
    since: str  # first day, YYYY-MM-DD (the server's local dates)
    until: str
    totals: dict = field(default_factory=dict)
    per_day: list[dict] = field(default_factory=list)
    top_queries: list[dict] = field(default_factory=list)
    content_gaps: list[dict] = field(default_factory=list)
    not_helpful: list[dict] = field(default_factory=list)
    handover_reasons: list[dict] = field(default_factory=list)
    question_suggestions: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build(engine: Engine, days: int, questions_of: QuestionsOf, today: dt.date | None = None) -> Report:
    """The report of the last `days` days, today included."""
    until = today or dt.date.fromisoformat(local_day())
    since = until - dt.timedelta(days=days - 1)
    report = Report(days, since.isoformat(), until.isoformat())
    in_period = EVENTS.c.day >= report.since
    searched = and_(in_period, EVENTS.c.kind.in_(("search", "ask")), EVENTS.c.results.is_not(None))
    zero = func.sum(case((EVENTS.c.results == 0, 1), else_=0))
    unanswered = or_(EVENTS.c.results == 0, EVENTS.c.confidence == "none")
    no_answer = func.sum(case((unanswered, 1), else_=0))
    with engine.connect() as connection:
        run = connection.execute
        counts = {day: (n, z, na) for day, n, z, na in run(
            select(EVENTS.c.day, func.count(), zero, no_answer).where(searched).group_by(EVENTS.c.day))}
        report.per_day = [{"day": day, **dict(zip(("searches", "zero_result", "no_answer"),
                                                   counts.get(day, (0, 0, 0)), strict=True))}
                          for day in ((since + dt.timedelta(days=n)).isoformat() for n in range(days))]
        report.totals = _totals(run, report, in_period, searched)
        report.top_queries = _top_queries(run, in_period, searched)
        report.content_gaps = [
            {"query": example, "normalized": key, "count": n, "zero_result": z, "no_confidence": nc,
             "last_day": last}
            for key, n, z, nc, example, last in run(
                select(EVENTS.c.normalized, func.count(), zero,
                       func.sum(case((EVENTS.c.confidence == "none", 1), else_=0)),
                       func.max(EVENTS.c.query), func.max(EVENTS.c.day))
                .where(and_(searched, EVENTS.c.normalized != "", unanswered))
                .group_by(EVENTS.c.normalized).order_by(func.count().desc(), EVENTS.c.normalized).limit(TOP))]
        report.not_helpful = _not_helpful(run, since, questions_of)
        report.handover_reasons = [{"reason": reason, "count": n} for reason, n in run(
            select(EVENTS.c.reason, func.count()).where(and_(in_period, EVENTS.c.kind == "handover"))
            .group_by(EVENTS.c.reason).order_by(func.count().desc()))]
        report.question_suggestions = _question_suggestions(run, in_period, questions_of)
    return report


def _pairs(condition):
    """Distinct (session, normalised query) pairs of the events matching `condition`."""
    return select(EVENTS.c.session, EVENTS.c.normalized).where(condition).distinct().subquery()


def _same_pairs(searched, clicked):
    """The searched pairs that were also clicked."""
    return searched.join(clicked, and_(searched.c.session == clicked.c.session,
                                       searched.c.normalized == clicked.c.normalized))


def _totals(run, report: Report, in_period, searched) -> dict:
    searches = sum(d["searches"] for d in report.per_day)
    zero_result = sum(d["zero_result"] for d in report.per_day)
    no_answer = sum(d["no_answer"] for d in report.per_day)
    asked, clicked = _pairs(searched), _pairs(and_(in_period, EVENTS.c.kind == "click"))
    both = _same_pairs(asked, clicked)
    pairs = run(select(func.count()).select_from(asked)).scalar()
    pairs_clicked = run(select(func.count()).select_from(both)).scalar()
    sessions = run(select(func.count(func.distinct(EVENTS.c.session))).where(in_period)).scalar()
    handed = run(select(func.count(func.distinct(EVENTS.c.session)))
                 .where(and_(in_period, EVENTS.c.kind == "handover"))).scalar()
    handovers = run(select(func.count()).where(and_(in_period, EVENTS.c.kind == "handover"))).scalar()
    bot = and_(in_period, EVENTS.c.kind == "ask")
    questions = run(select(func.count()).where(bot)).scalar()
    answered = run(select(func.count()).where(and_(bot, EVENTS.c.confidence == "high"))).scalar()
    conversations = run(select(func.count(func.distinct(EVENTS.c.conversation))).where(bot)).scalar()
    clicks = run(select(func.count()).where(and_(in_period, EVENTS.c.kind == "click"))).scalar()
    return {
        "searches": searches, "zero_result": zero_result, "zero_result_rate": _rate(zero_result, searches),
        "no_answer": no_answer, "no_answer_rate": _rate(no_answer, searches),
        "clicks": clicks, "click_through": _rate(pairs_clicked, pairs),
        "sessions": sessions, "sessions_with_handover": handed,
        "self_service_rate": _rate(sessions - handed, sessions),
        "bot_questions": questions, "bot_answered": answered, "bot_answer_rate": _rate(answered, questions),
        "bot_conversations": conversations, "handovers": handovers,
        "handover_rate": _rate(handovers, conversations),
    }


def _top_queries(run, in_period, searched) -> list[dict]:
    top = run(select(EVENTS.c.normalized, func.count(), func.max(EVENTS.c.query))
              .where(and_(searched, EVENTS.c.normalized != ""))
              .group_by(EVENTS.c.normalized).order_by(func.count().desc(), EVENTS.c.normalized)
              .limit(TOP)).all()
    keys = [key for key, _, _ in top]
    is_click = and_(in_period, EVENTS.c.kind == "click", EVENTS.c.normalized.in_(keys))
    asked = _pairs(and_(searched, EVENTS.c.normalized.in_(keys)))
    clicked = _pairs(is_click)
    per_key = dict(run(select(asked.c.normalized, func.count()).group_by(asked.c.normalized)).all())
    clicked_per_key = dict(run(
        select(asked.c.normalized, func.count())
        .select_from(_same_pairs(asked, clicked))
        .group_by(asked.c.normalized)).all())
    positions = {key: (n, mean) for key, n, mean in run(
        select(EVENTS.c.normalized, func.count(), func.avg(EVENTS.c.position))
        .where(is_click).group_by(EVENTS.c.normalized))}
    return [{"query": example, "normalized": key, "searches": n, "clicks": positions.get(key, (0, None))[0],
             "click_through": _rate(clicked_per_key.get(key, 0), per_key.get(key, 0)),
             "mean_click_position": round(float(positions[key][1]), 2)
             if key in positions and positions[key][1] is not None else None}
            for key, n, example in top]


def _not_helpful(run, since: dt.date, questions_of: QuestionsOf) -> list[dict]:
    start = dt.datetime.combine(since, dt.time()).astimezone().astimezone(dt.UTC)
    no = func.sum(case((FEEDBACK.c.helpful.is_(False), 1), else_=0))
    yes = func.sum(case((FEEDBACK.c.helpful.is_(True), 1), else_=0))
    rows = run(select(FEEDBACK.c.article_id, no, yes).where(FEEDBACK.c.created_at >= start)
               .group_by(FEEDBACK.c.article_id).having(no > 0)
               .order_by(no.desc(), FEEDBACK.c.article_id).limit(TOP)).all()
    out = []
    for article_id, n_no, n_yes in rows:
        known = questions_of(article_id)
        out.append({"article_id": article_id, "title": known[0] if known else "", "not_helpful": int(n_no),
                    "helpful": int(n_yes)})
    return out


def _question_suggestions(run, in_period, questions_of: QuestionsOf) -> list[dict]:
    """Per article, queries whose results led to a click on it that it does not list (a
    suggestion pick is left out: what was typed then is a prefix, not a question)."""
    n = func.count()
    rows = run(select(EVENTS.c.article_id, EVENTS.c.normalized, func.max(EVENTS.c.query), n)
               .where(and_(in_period, EVENTS.c.kind == "click", EVENTS.c.article_id.is_not(None),
                           EVENTS.c.normalized != ""))
               .group_by(EVENTS.c.article_id, EVENTS.c.normalized)
               .order_by(n.desc(), EVENTS.c.article_id, EVENTS.c.normalized).limit(2000)).all()
    found: dict[str, dict] = {}
    for article_id, key, example, count in rows:
        if article_id not in found:
            known = questions_of(article_id)
            if known is None:
                continue  # deleted or not public
            title, questions = known
            found[article_id] = {"article_id": article_id, "title": title, "questions": questions,
                                 "listed": {normalize(t) for t in (title, *questions)}, "queries": []}
        entry = found.get(article_id)
        if entry is None or key in entry["listed"] or any(m in example for m in MASKS):
            continue
        if len(entry["queries"]) < SUGGESTIONS_PER_ARTICLE:
            entry["queries"].append({"query": example, "count": count})
    ranked = sorted((e for e in found.values() if e["queries"]),
                    key=lambda e: (-sum(q["count"] for q in e["queries"]), e["article_id"]))[:TOP]
    return [{"article_id": e["article_id"], "title": e["title"], "queries": e["queries"],
             "snippet": questions_snippet(e["questions"], [q["query"] for q in e["queries"]])}
            for e in ranked]


def questions_snippet(existing: list[str], new: list[str]) -> str:
    """The front-matter `questions:` list with the new phrasings added, ready to paste."""
    return yaml.safe_dump({"questions": [*existing, *new]}, allow_unicode=True, default_flow_style=False,
                          sort_keys=False).rstrip("\n")


# -- renderings ------------------------------------------------------------------------------------
def table_rows(report: Report, name: str) -> tuple[list[str], list[list]]:
    """(header, rows) of one table of the report, as the CSV export writes it."""
    if name == "question_suggestions":
        header = ["article_id", "title", "query", "count"]
        return header, [[s["article_id"], s["title"], q["query"], q["count"]]
                        for s in report.question_suggestions for q in s["queries"]]
    rows = getattr(report, name)
    header = list(rows[0]) if rows else _EMPTY_HEADERS[name]
    return header, [[row[k] for k in header] for row in rows]


_EMPTY_HEADERS = {
    "per_day": ["day", "searches", "zero_result", "no_answer"],
    "top_queries": ["query", "normalized", "searches", "clicks", "click_through", "mean_click_position"],
    "content_gaps": ["query", "normalized", "count", "zero_result", "no_confidence", "last_day"],
    "not_helpful": ["article_id", "title", "not_helpful", "helpful"],
    "handover_reasons": ["reason", "count"],
}


def to_csv(report: Report, name: str) -> str:
    header, rows = table_rows(report, name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue()


def chart_svg(per_day: list[dict], title: str, searches_label: str, zero_label: str) -> str:
    """Searches per day as an SVG bar chart (zero-result searches darker), drawn here so the
    page needs no script. Every bar has a <title> with its figures for screen readers."""
    width, height, left, bottom, top = 720, 200, 36, 22, 10
    peak = max((d["searches"] for d in per_day), default=0) or 1
    step = (width - left) / max(1, len(per_day))
    bar = max(1.0, step * 0.8)
    plot = height - bottom - top
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" '
             f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot}" x2="{width}" y2="{top + plot}" stroke="#8792a2"/>',
             _label(left - 6, top + 8, peak, "end"), _label(left - 6, top + plot, 0, "end")]
    for n, d in enumerate(per_day):
        x = left + n * step + (step - bar) / 2
        h, hz = plot * d["searches"] / peak, plot * d["zero_result"] / peak
        label = escape(f'{d["day"]}: {searches_label} {d["searches"]}, {zero_label} {d["zero_result"]}')
        parts.append(f'<g><title>{label}</title>'
                     f'<rect x="{x:.1f}" y="{top + plot - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="#0b63ce"/><rect x="{x:.1f}" y="{top + plot - hz:.1f}" width="{bar:.1f}" '
                     f'height="{hz:.1f}" fill="#d9480f"/></g>')
    for n in sorted({0, len(per_day) // 2, len(per_day) - 1}):
        if 0 <= n < len(per_day):
            x = left + n * step + step / 2
            parts.append(_label(x, height - 6, per_day[n]["day"][5:], "middle"))
    parts.append("</svg>")
    return "".join(parts)


def _label(x: float, y: float, text, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11" fill="#5f6b7a">'
            f'{escape(str(text))}</text>')


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def to_text(report: Report) -> str:
    """The report for a terminal (`kb report`)."""
    t = report.totals
    lines = [f"Search insights, {report.since} – {report.until} ({report.days} days)",
             f"searches {t['searches']} · zero-result rate {percent(t['zero_result_rate'])} · no-answer rate "
             f"{percent(t['no_answer_rate'])} · click-through "
             f"{percent(t['click_through'])} · self-service rate {percent(t['self_service_rate'])} "
             f"({t['sessions'] - t['sessions_with_handover']} of {t['sessions']} sessions without a "
             "hand-over)",
             f"bot: {t['bot_questions']} questions, {t['bot_answered']} answered "
             f"({percent(t['bot_answer_rate'])}); "
             f"{t['handovers']} hand-overs in {t['bot_conversations']} conversations "
             f"({percent(t['handover_rate'])})"]

    def table(title: str, rows: list[list]) -> None:
        lines.extend(["", title])
        if not rows:
            lines.append("  (none)")
        for row in rows:
            lines.append("  " + "  ".join(str("—" if c is None else c) for c in row))

    table("Top queries (searches, click-through, mean click position):",
          [[q["searches"], percent(q["click_through"]), q["mean_click_position"], q["query"]]
           for q in report.top_queries])
    table("Content gaps (count, no result, no confident answer):",
          [[g["count"], g["zero_result"], g["no_confidence"], g["query"]] for g in report.content_gaps])
    table("Articles voted 没帮助 (not helpful, helpful):",
          [[a["not_helpful"], a["helpful"], a["article_id"], a["title"]] for a in report.not_helpful])
    table("Hand-over reasons:", [[r["count"], r["reason"]] for r in report.handover_reasons])
    lines.extend(["", "Questions to add (queries that led to an article but are not among its questions):"])
    if not report.question_suggestions:
        lines.append("  (none)")
    for s in report.question_suggestions:
        lines.append(f"  {s['article_id']} — {s['title']}")
        lines.extend("    " + line for line in s["snippet"].splitlines())
    return "\n".join(lines)

