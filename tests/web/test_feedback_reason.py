""""Not helpful" asks what was missing (a choice and free text, stored with the vote) and offers
the contact channels (issue 15)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import make_app
from tests.web.test_pages import page

SAME_SITE = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}


def vote(client, helpful: bool, address: str = "127.0.0.1") -> str:
    response = client.post("/api/feedback", json={"article_id": "refund-timeline", "helpful": helpful,
                                                  "query": "退款"}, headers=SAME_SITE,
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 201
    return response.get_json()["vote"]


def rows(built_index: Path) -> list[tuple]:
    with sqlite3.connect(built_index.parent / "kb.sqlite3") as db:
        return db.execute("SELECT article_id, helpful, query, reason, comment FROM feedback ORDER BY id"
                          ).fetchall()


@pytest.mark.parametrize("lang, question, choice", [("zh", "缺少了什么？", "没有回答我的问题"),
                                                    ("en", "What was missing?", "It was hard to understand")])
def test_article_page_has_the_question_and_the_contacts(client, lang, question, choice):
    html = page(client, "/articles/refund-timeline", query_string={"lang": lang})
    form = html.split('<form class="feedback-reason"')[1].split("</form>")[0]
    assert question in form and choice in form and '<textarea id="feedback-comment"' in form
    assert form.count('type="radio" name="reason"') == 5
    contact = html.split('<div class="feedback-contact" hidden>')[1].split("</div>")[0]
    assert 'href="tel:4008001234"' in contact


def test_reason_is_stored_with_the_vote(client, built_index):
    token = vote(client, False)
    response = client.post("/api/feedback/reason", json={"vote": token, "reason": "outdated",
                                                         "comment": "手续费\x00已经变了\n请更新"},
                           headers=SAME_SITE)
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    assert rows(built_index) == [("refund-timeline", 0, "退款", "outdated", "手续费已经变了\n请更新")]


def test_the_question_is_optional(client, built_index):
    vote(client, False, "10.0.0.1")
    token = vote(client, False, "10.0.0.2")  # another visitor
    assert client.post("/api/feedback/reason", json={"vote": token, "comment": "  看不懂第二步 "},
                       headers=SAME_SITE).status_code == 200
    assert [r[3:] for r in rows(built_index)] == [("", ""), ("", "看不懂第二步")]


@pytest.mark.parametrize("body, status", [
    ({"vote": "forged", "reason": "unclear"}, 404),
    ({"reason": "unclear"}, 400),
    ({"vote": "x", "reason": "because"}, 400),
    ({"vote": "x", "comment": "长" * 501}, 400),
    ({"vote": "x", "comment": 3}, 400),
])
def test_bad_reasons_are_refused(client, built_index, body, status):
    vote(client, False)
    response = client.post("/api/feedback/reason", json=body, headers=SAME_SITE)
    assert response.status_code == status and "error" in response.get_json()
    assert rows(built_index)[0][3:] == ("", "")


def test_a_helpful_vote_takes_no_reason(client, built_index):
    token = vote(client, True)
    response = client.post("/api/feedback/reason", json={"vote": token, "reason": "unclear"},
                           headers=SAME_SITE)
    assert response.status_code == 404 and rows(built_index)[0][3:] == ("", "")


def test_reasons_only_from_this_site(client, built_index):
    token = vote(client, False)
    response = client.post("/api/feedback/reason", json={"vote": token, "reason": "unclear"},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and rows(built_index)[0][3:] == ("", "")


def test_a_database_from_before_gets_the_new_columns(kb_dir, built_index):
    with sqlite3.connect(built_index.parent / "kb.sqlite3") as db:
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, article_id VARCHAR(500) NOT NULL, "
                   "helpful BOOLEAN NOT NULL, query TEXT NOT NULL, created_at DATETIME NOT NULL)")
        db.execute("INSERT INTO feedback (article_id, helpful, query, created_at) "
                   "VALUES ('refund-timeline', 0, '退款', '2026-11-01 10:00:00')")
    client = make_app(kb_dir, built_index).test_client()
    token = vote(client, False)
    assert client.post("/api/feedback/reason", json={"vote": token, "reason": "unclear"},
                       headers=SAME_SITE).status_code == 200
    assert [r[3:] for r in rows(built_index)] == [("", ""), ("unclear", "")]
