"""One vote per visitor per article (issue 13 item 9): a script cannot rewrite "popular articles"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.web.test_pages import page

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def vote(client, article_id: str, helpful: bool = True, address: str = "203.0.113.7"):
    return client.post("/api/feedback", json={"article_id": article_id, "helpful": helpful},
                       headers=SAME_SITE, environ_base={"REMOTE_ADDR": address})


def popular(client) -> str:
    html = page(client, "/search", query_string={"q": "qqqzzzxxx"})
    return html.split('class="no-results"')[1].split("</section>")[0]


def test_many_votes_from_one_visitor_count_once(app, built_index: Path):
    for address in ("198.51.100.1", "198.51.100.2"):
        assert vote(app.test_client(), "faq-withdraw", address=address).status_code == 201
    for _ in range(120):  # one attacker, cookies dropped every time
        assert vote(app.test_client(), "account-freeze").status_code in (201, 200)
    listed = popular(app.test_client())
    assert listed.index("/articles/faq-withdraw") < listed.index("/articles/account-freeze")
    rows = sqlite3.connect(built_index.parent / "kb.sqlite3").execute(
        "SELECT article_id, COUNT(*) FROM feedback GROUP BY article_id ORDER BY article_id").fetchall()
    assert rows == [("account-freeze", 1), ("faq-withdraw", 2)]


def test_a_visitor_can_change_their_vote(client, built_index: Path):
    vote(client, "refund-timeline", helpful=True)
    vote(client, "refund-timeline", helpful=False)
    rows = sqlite3.connect(built_index.parent / "kb.sqlite3").execute(
        "SELECT helpful FROM feedback WHERE article_id = 'refund-timeline'").fetchall()
    assert rows == [(0,)]


def test_no_address_is_stored(client, built_index: Path):
    vote(client, "refund-timeline", address="192.0.2.55")
    database = built_index.parent / "kb.sqlite3"
    assert b"192.0.2.55" not in database.read_bytes()
    for wal in database.parent.glob("kb.sqlite3-wal"):
        assert b"192.0.2.55" not in wal.read_bytes()
