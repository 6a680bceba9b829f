"""`/agent/insights`: the search analytics for agents and editors (`web.report`).

The page needs a signed-in agent; each table is also a CSV file
(`/agent/insights/<table>.csv?days=N`), for a signed-in agent or an agent token.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from web import current_index, database, report
from web.auth import InvalidToken, bearer_is_agent, session_is_agent
from web.i18n import t
from web.ratelimit import public_limit

bp = Blueprint("insights", __name__, url_prefix="/agent/insights")
PERIODS = (7, 30, 90)


def questions_of(article_id: str) -> tuple[str, list[str]] | None:
    """Title and questions of an article, internal ones included (only agents read this)."""
    found = current_index().get_article(article_id, internal=True)
    return (found["title"], found["questions"]) if found else None


def _days() -> int:
    raw = request.args.get("days", "30")
    return max(1, min(int(raw), 366)) if raw.isascii() and raw.isdigit() else 30


@bp.get("/")
@public_limit
def page():
    if not session_is_agent():
        return redirect(url_for("agent.console"))
    days = _days()
    built = report.build(database.engine(), days, questions_of)
    chart = report.chart_svg(built.per_day, t("chart_title", n=days), t("searches"), t("zero_result"))
    return render_template("agent/insights.html", report=built, chart=Markup(chart), periods=PERIODS,
                           percent=report.percent)


@bp.get("/<name>.csv")
@public_limit
def csv_file(name: str):
    try:
        allowed = bearer_is_agent()
    except InvalidToken:
        allowed = False
    if not allowed:
        abort(401)
    if name not in report.TABLES:
        abort(404)
    days = _days()
    body = report.to_csv(report.build(database.engine(), days, questions_of), name)
    return Response("\ufeff" + body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kb-{name}-{days}d.csv"'})
