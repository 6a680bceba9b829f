"""Search analytics: what is recorded, from where, masked and without addresses; retention; off."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import AGENT_TOKEN, make_app
from tests.web.test_pages import sign_in
from web.analytics import normalize

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}
# The raw numbers of the scripted session: none of them may reach the database file.
CARD, SPACED_CARD, PHONE, ID_NUMBER, EMAIL = (
    "6222021234567890123",
    "4111 1111 1111 1111",
    "13912345678",
    "11010119900307123X",
    "zhang.san@example.com",
)
UA = {"User-Agent": "Mozilla/5.0 (X11; Linux) scripted-session-browser/1.0"}
ADDRESS = "203.0.113.77"


def rows(app, sql: str) -> list[tuple]:
    app.extensions["kb_analytics"].flush()
    database = Path(app.config["KB_INDEX"]).resolve().parent / "kb.sqlite3"
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def scripted_session(app) -> None:
    """Searches, a suggestion pick, clicks, a zero-result query, votes, the bot and a hand-over,
    from the help center, the API, the console and the bot; numbers typed everywhere. Three
    clients: a visitor (pages, votes, the bot), a signed-in agent and an API client."""
    visitor = app.test_client()

    def get(url, **kw):
        return visitor.get(url, headers=UA, environ_base={"REMOTE_ADDR": ADDRESS}, **kw)

    def post(url, body):
        return visitor.post(url, json=body, headers=UA, environ_base={"REMOTE_ADDR": ADDRESS}).get_json()

    get("/search", query_string={"q": f"退款多久到账 卡号{CARD}"})
    get("/search", query_string={"q": "退款多久到账"})
    get("/articles/refund-timeline", query_string={"q": "退款多久到账", "rank": "1"})
    get("/search", query_string={"q": f"qqqzzz {PHONE}"})  # zero results
    get("/search", query_string={"q": f"邮箱 {EMAIL} 身份证 {ID_NUMBER} 没收到"})
    get("/articles/faq-withdraw", query_string={"q": "钱怎么还没到", "rank": "2"})
    get("/articles/faq-withdraw", query_string={"q": "钱怎么还没到", "rank": "2"})
    get("/articles/refund-timeline", query_string={"q": "退", "via": "suggest"})
    post("/api/feedback", {"article_id": "refund-timeline", "helpful": False, "query": f"退款 {SPACED_CARD}"})
    get("/api/search", query_string={"q": f"refund {SPACED_CARD}", "lang": "en"})
    bot = post("/api/ask", {"question": f"我的卡{CARD}被冻结了怎么办 qqqzzz"})
    post(
        "/api/handovers",
        {"conversation": bot["conversation"], "note": f"身份证 {ID_NUMBER}", "contact": f"卡号 {CARD}"},
    )
    agent = app.test_client()
    sign_in(agent)
    agent.get("/api/search", query_string={"q": "升级二线"}, headers={"User-Agent": "agent-browser"})
    agent.get(
        "/api/articles/ops/escalation",
        query_string={"q": "升级二线", "rank": "1"},
        headers={"User-Agent": "agent-browser"},
    )
    app.test_client().get(
        "/api/search", query_string={"q": "提现手续费"}, headers={**AGENT, "User-Agent": "api-client"}
    )


@pytest.fixture
def session_app(kb_dir, built_index):
    app = make_app(kb_dir, built_index)
    scripted_session(app)
    app.extensions["kb_analytics"].flush()
    return app


def test_every_kind_and_channel_is_recorded(session_app):
    recorded = rows(
        session_app,
        "SELECT kind, channel, lang, query, results, confidence, article_id, position "
        "FROM events ORDER BY id",
    )
    kinds = {(kind, channel) for kind, channel, *_ in recorded}
    assert kinds == {
        ("search", "helpcenter"),
        ("click", "helpcenter"),
        ("pick", "helpcenter"),
        ("search", "api"),
        ("ask", "bot"),
        ("handover", "bot"),
        ("search", "console"),
        ("click", "console"),
    }
    assert ("click", "helpcenter", "zh", "退款多久到账", None, None, "refund-timeline", 1) in recorded
    assert ("pick", "helpcenter", "zh", "退", None, None, "refund-timeline", None) in recorded
    assert ("click", "console", "zh", "升级二线", None, None, "ops/escalation", 1) in recorded
    zero = [r for r in recorded if r[0] == "search" and r[4] == 0]
    assert [r[3] for r in zero] == ["qqqzzz [手机号]"]
    assert ("search", "api", "en", "refund [卡号]", 1, "high", None, None) in recorded
    votes = rows(session_app, "SELECT article_id, helpful, query, channel, session FROM feedback")
    assert votes[0][:4] == ("refund-timeline", 0, "退款 [卡号]", "helpcenter") and len(votes[0][4]) == 16


def test_numbers_are_masked_before_storage(session_app):
    queries = [q for (q,) in rows(session_app, "SELECT query FROM events")]
    assert "退款多久到账 卡号[卡号]" in queries and "邮箱 [邮箱] 身份证 [身份证号] 没收到" in queries
    turns = rows(session_app, "SELECT question FROM turns")
    assert turns == [("我的卡[卡号]被冻结了怎么办 qqqzzz",)]
    assert rows(session_app, "SELECT note, contact FROM handovers") == [("身份证 [身份证号]", "卡号 [卡号]")]


def test_the_database_file_holds_none_of_the_raw_numbers(session_app):
    """Every byte of the database and its write-ahead log: no number typed in the session, no address."""
    rows(session_app, "PRAGMA wal_checkpoint(TRUNCATE)")
    folder = Path(session_app.config["KB_INDEX"]).resolve().parent
    files = [p for p in folder.iterdir() if p.name.startswith("kb.sqlite3")]
    data = b"".join(p.read_bytes() for p in files)
    assert b"refund-timeline" in data  # the file is readable as plain bytes
    for raw in (CARD, SPACED_CARD, SPACED_CARD.replace(" ", ""), PHONE, ID_NUMBER, EMAIL, ADDRESS):
        assert raw.encode() not in data, raw
    assert b"scripted-session-browser" not in data  # nor the browser


def test_sessions_are_a_salted_hash_of_the_day(session_app, tmp_path):
    sessions = {s for (s,) in rows(session_app, "SELECT DISTINCT session FROM events")}
    assert all(len(s) == 16 for s in sessions) and len(sessions) == 3  # visitor, agent session, API client
    import hashlib

    assert not any(hashlib.sha256(ADDRESS.encode()).hexdigest().startswith(s) for s in sessions)
    recorder = session_app.extensions["kb_analytics"]
    today = rows(session_app, "SELECT day FROM salts")
    assert len(today) == 1
    tomorrow = (dt.date.fromisoformat(today[0][0]) + dt.timedelta(days=1)).isoformat()
    assert recorder.session("x", today[0][0]) != recorder.session("x", tomorrow)
    assert [d for (d,) in rows(session_app, "SELECT day FROM salts")] == [tomorrow]  # the old one is gone
    # An event of the old day written late takes the new salt; the old salt never comes back.
    recorder._salts = {}
    assert recorder.session("x", today[0][0]) == recorder.session("x", tomorrow)
    assert [d for (d,) in rows(session_app, "SELECT day FROM salts")] == [tomorrow]


def test_retention_purges_old_rows(session_app):
    recorder = session_app.extensions["kb_analytics"]

    def counts():
        return [
            rows(session_app, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("events", "turns", "handovers", "feedback")
        ]

    assert all(counts())
    recorder.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=89))
    assert all(counts())
    recorder.purge(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=91))
    assert counts() == [0, 0, 0, 0]


def test_log_off_records_nothing(kb_dir, built_index):
    app = make_app(kb_dir, built_index, KB_LOG=False)
    scripted_session(app)
    assert rows(app, "SELECT count(*) FROM events") == [(0,)]
    assert rows(app, "SELECT article_id, helpful, query, channel, session FROM feedback") == [
        ("refund-timeline", 0, "", None, None)
    ]  # the vote counts; nothing about what was searched, and no session
    # Only the day's visitor hash that keeps it one vote per visitor (no address, no browser).
    assert [len(v) for (v,) in rows(app, "SELECT voter FROM feedback")] == [64]


@pytest.mark.parametrize(
    "name, value",
    [("KB_LOG", "sometimes"), ("KB_LOG_DAYS", "0"), ("KB_LOG_DAYS", "ninety"), ("KB_HANDOVER_LIMIT", "lots")],
)
def test_bad_settings_are_named(kb_dir, name, value):
    from kb.config import ConfigError, Settings

    with pytest.raises(ConfigError, match=name):
        Settings.load(str(kb_dir), environ={name: value})


def test_links_from_other_sites_are_not_clicks(kb_dir, built_index):
    app = make_app(kb_dir, built_index)
    client = app.test_client()
    client.get(
        "/articles/refund-timeline",
        query_string={"q": "forged", "rank": "1"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    client.get("/articles/refund-timeline")  # no query: a plain visit
    assert rows(app, "SELECT count(*) FROM events") == [(0,)]


def test_queries_group_by_normalised_form():
    assert (
        normalize("退款多久到账？")
        == normalize("退款多久到账吗")
        == normalize("  退款多久到账 ")
        == "退款多久到账"
    )
    assert normalize("Refund   Pending!") == normalize("refund pending") == "refund pending"
    assert normalize("帳戶凍結") == normalize("账户冻结")
    assert normalize("ＡＰＰＬＥ ｐａｙ") == "apple pay"


def test_an_older_database_gains_the_new_columns(tmp_path, kb_dir, built_index):
    """A kb.sqlite3 from before this version (votes only) is upgraded in place, its votes kept."""
    database = Path(built_index).resolve().parent / "kb.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY, article_id VARCHAR(500) NOT NULL, "
            "helpful BOOLEAN NOT NULL, query TEXT NOT NULL, created_at DATETIME NOT NULL)"
        )
        connection.execute(
            "INSERT INTO feedback (article_id, helpful, query, created_at) "
            "VALUES ('refund-timeline', 1, 'old', '2026-11-01 10:00:00')"
        )
    app = make_app(kb_dir, built_index)
    client = app.test_client()
    assert (
        client.post("/api/feedback", json={"article_id": "faq-withdraw", "helpful": True}).status_code == 201
    )
    assert rows(app, "SELECT article_id, query, channel FROM feedback ORDER BY id") == [
        ("refund-timeline", "old", None),
        ("faq-withdraw", "", "helpcenter"),
    ]


def test_the_writer_waits_out_a_failing_database(tmp_path):
    """Events survive a database that fails for a while (salts or events unwritable), then land."""
    from sqlalchemy import text

    from web.analytics import Event, Recorder
    from web.database import connect

    engine = connect(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    recorder = Recorder(engine, enabled=True, keep_days=90)
    count = lambda: engine.connect().execute(text("SELECT count(*) FROM events")).scalar()  # noqa: E731
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE salts RENAME TO salts_away"))
    recorder.record(Event("search", "api", "zh", "退款", client="a"))
    assert recorder.flush() == 0  # no salt: the event waits in the queue
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE salts_away RENAME TO salts"))
        connection.execute(text("ALTER TABLE events RENAME TO events_away"))
    recorder.record(Event("search", "api", "zh", "提现", client="a"))
    assert recorder.flush() == 0  # no table: the rows wait
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE events_away RENAME TO events"))
    assert recorder.flush() == 2 and count() == 2
    recorder.close()
