"""`/agent/insights`, its CSV files and `kb report` after a scripted session."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from tests.conftest import AGENT_TOKEN, make_app
from tests.web.test_analytics import CARD, ID_NUMBER, PHONE, scripted_session
from tests.web.test_pages import sign_in
from web import report

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


@pytest.fixture
def session_app(kb_dir, built_index):
    app = make_app(kb_dir, built_index)
    scripted_session(app)
    client = app.test_client()
    # One more visitor who clicks a result of a phrasing the article does not list.
    client.get("/search", query_string={"q": "钱怎么还没到"})
    client.get("/articles/faq-withdraw", query_string={"q": "钱怎么还没到", "rank": "1"})
    app.extensions["kb_analytics"].flush()
    return app


def test_the_page_needs_a_signed_in_agent(session_app):
    client = session_app.test_client()
    response = client.get("/agent/insights/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/agent/")
    assert client.get("/agent/insights/top_queries.csv").status_code == 401
    assert (
        client.get("/agent/insights/top_queries.csv", headers={"Authorization": "Bearer no"}).status_code
        == 401
    )


def test_the_page_shows_the_session(session_app):
    client = session_app.test_client()
    sign_in(client)
    html = client.get("/agent/insights/", query_string={"days": "7"}).get_data(as_text=True)
    assert '<svg class="chart"' in html and 'role="img"' in html and "<title" in html
    assert "<script" not in html.split("<main")[1].split("</main>")[0]
    for shown in (
        "退款多久到账",
        "qqqzzz [手机号]",
        "退款多久到账 卡号[卡号]",
        "钱怎么还没到",
        "refund-timeline",
        "答案不确定",
        "questions:",
        "- 钱怎么还没到",
        "无答案率",
    ):
        assert shown in html, shown
    for raw in (CARD, PHONE, ID_NUMBER):
        assert raw not in html
    for table in report.TABLES:
        assert f"/agent/insights/{table}.csv?days=7" in html


def test_each_table_is_a_csv_file(session_app):
    client = session_app.test_client()
    for table in report.TABLES:
        response = client.get(f"/agent/insights/{table}.csv", headers=AGENT, query_string={"days": "30"})
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert f"kb-{table}-30d.csv" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[0] and len(rows) >= 2, table
    gaps = client.get("/agent/insights/content_gaps.csv", headers=AGENT).get_data(as_text=True)
    assert "qqqzzz [手机号]" in gaps and PHONE not in gaps
    top = list(
        csv.DictReader(
            io.StringIO(
                client.get("/agent/insights/top_queries.csv", headers=AGENT)
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    refund = next(r for r in top if r["query"] == "退款多久到账")
    assert (
        refund["searches"] == "1"
        and refund["click_through"] == "1.0"
        and refund["mean_click_position"] == "1.0"
    )
    assert client.get("/agent/insights/nothing.csv", headers=AGENT).status_code == 404


def test_csv_cells_cannot_run_as_formulas(session_app):
    client = session_app.test_client()
    client.get("/search", query_string={"q": '=HYPERLINK("http://evil.example")'})
    session_app.extensions["kb_analytics"].flush()
    text = client.get("/agent/insights/top_queries.csv", headers=AGENT).get_data(as_text=True)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_report_figures(session_app):
    from web import database

    # Found by fragments only: the help center shows its no-results page (confidence none).
    assert session_app.test_client().get("/api/search", query_string={"q": "pizza delivery"}).get_json()[
        "confidence"] == "none"
    session_app.extensions["kb_analytics"].flush()
    with session_app.app_context():
        built = report.build(database.engine(), 30, lambda i: ("标题", ["已有问题"]) if i else None)
    t = built.totals
    assert t["searches"] == 10 and t["zero_result"] == 1
    assert t["zero_result_rate"] == pytest.approx(1 / 10, abs=1e-4)
    # qqqzzz (nothing found) and pizza delivery (fragments)
    assert t["no_answer"] == 2 and t["no_answer_rate"] == pytest.approx(2 / 10, abs=1e-4)
    assert sum(d["no_answer"] for d in built.per_day) == 2
    assert "pizza delivery" in [g["query"] for g in built.content_gaps]
    assert t["handovers"] == 1 and t["bot_conversations"] == 1 and t["handover_rate"] == 1.0
    assert t["sessions"] == 4 and t["sessions_with_handover"] == 1 and t["self_service_rate"] == 0.75
    assert 0 < t["click_through"] < 1
    assert built.handover_reasons == [{"reason": "low_confidence", "count": 1}]
    assert (
        built.not_helpful[0]["article_id"] == "refund-timeline" and built.not_helpful[0]["not_helpful"] == 1
    )
    gap_queries = [g["query"] for g in built.content_gaps]
    assert "qqqzzz [手机号]" in gap_queries and len(built.per_day) == 30
    withdraw = next(s for s in built.question_suggestions if s["article_id"] == "faq-withdraw")
    assert withdraw["queries"][0] == {"query": "钱怎么还没到", "count": 3}
    assert withdraw["snippet"] == "questions:\n- 已有问题\n- 钱怎么还没到"


def test_question_suggestions_leave_out_what_the_article_lists(session_app):
    client = session_app.test_client()
    client.get("/articles/faq-withdraw", query_string={"q": "提现常见问题", "rank": "1"})  # its title
    client.get("/articles/faq-withdraw", query_string={"q": "卡号 6222021234567890123 提现", "rank": "1"})
    session_app.extensions["kb_analytics"].flush()
    from web import database
    from web.insights import questions_of

    with session_app.test_request_context():
        built = report.build(database.engine(), 30, questions_of)
    withdraw = next(s for s in built.question_suggestions if s["article_id"] == "faq-withdraw")
    assert [q["query"] for q in withdraw["queries"]] == ["钱怎么还没到"]
    assert withdraw["snippet"].startswith("questions:\n")


def test_kb_report_prints_the_same(session_app, kb_dir, built_index):
    command = [
        sys.executable,
        "-m",
        "kb.cli",
        "report",
        "--articles",
        str(kb_dir),
        "--index",
        str(built_index),
    ]
    out = subprocess.run([*command, "--json", "--days", "7"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["days"] == 7 and body["totals"]["searches"] == 9
    assert "qqqzzz [手机号]" in [g["query"] for g in body["content_gaps"]]
    assert body["handover_reasons"] == [{"reason": "low_confidence", "count": 1}]
    assert any(s["article_id"] == "faq-withdraw" for s in body["question_suggestions"])
    assert CARD not in out.stdout and PHONE not in out.stdout
    text = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "zero-result rate 11.1%" in text.stdout and "click-through" in text.stdout
    assert "no-answer rate 11.1%" in text.stdout  # qqqzzz: found nothing
    assert "self-service rate 75.0%" in text.stdout and "- 钱怎么还没到" in text.stdout
