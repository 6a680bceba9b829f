"""Agent tokens and sessions (issue 13 items 6 and 7): strong tokens only, server-side sessions that
sign-out ends everywhere, no token digest in any cookie, private caching of anything internal."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from kb.config import ConfigError, Settings
from tests.conftest import AGENT_TOKEN, make_app
from tests.web.test_pages import csrf_of, page, sign_in

INTERNAL = "/api/articles/ops/escalation"


@pytest.mark.parametrize("token", ["password", "passwordpassword", "Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3",
                                   "a" * 64, "0123456789" * 4, "agent-token-for-tests"])
def test_weak_tokens_are_refused_at_start(kb_dir, token):
    with pytest.raises(ConfigError, match="KB_AGENT_TOKENS"):
        Settings.load(str(kb_dir), environ={"KB_AGENT_TOKENS": token})


def test_weak_tokens_are_refused_by_the_app_factory_too(kb_dir, built_index):
    with pytest.raises(ConfigError, match="KB_AGENT_TOKENS"):
        make_app(kb_dir, built_index, KB_AGENT_TOKENS="password1")


def test_generated_tokens_are_accepted(kb_dir):
    from kb.config import new_token

    tokens = [new_token() for _ in range(50)]
    assert len(set(tokens)) == 50
    settings = Settings.load(str(kb_dir), environ={"KB_AGENT_TOKENS": ",".join(tokens)})
    assert settings.agent_tokens == tuple(tokens)


def copy_cookies(source, target) -> None:
    for name in ("session", "kb_agent"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_signing_out_ends_the_session_everywhere(app):
    agent = app.test_client()
    sign_in(agent)
    copied = app.test_client()
    copy_cookies(agent, copied)
    assert copied.get(INTERNAL).status_code == 200  # a copy works while the session lasts...
    agent.post("/agent/sign-out", data={"csrf": csrf_of(page(agent, "/agent/"))})
    assert copied.get(INTERNAL).status_code == 404  # ...and not after sign-out
    assert 'name="token"' in page(copied, "/agent/")


def test_the_cookie_carries_a_random_id_not_a_token_digest(app):
    client = app.test_client()
    response = sign_in(client)
    assert AGENT_TOKEN not in " ".join(response.headers.getlist("Set-Cookie"))
    digest = hashlib.sha256(AGENT_TOKEN.encode()).hexdigest()
    signed = client.get_cookie("session")  # Flask's own cookie, if any, holds the CSRF token only
    if signed is not None:
        assert digest not in repr(app.session_interface.get_signing_serializer(app).loads(signed.value))
    session_id = client.get_cookie("kb_agent").value
    assert len(session_id) >= 32 and digest not in session_id


def test_sessions_are_stored_server_side_and_expire(app, built_index: Path):
    client = app.test_client()
    sign_in(client)
    database = sqlite3.connect(built_index.parent / "kb.sqlite3")
    (count,) = database.execute("SELECT COUNT(*) FROM sessions").fetchone()
    assert count == 1
    with database:
        database.execute("UPDATE sessions SET expires_at = '2000-01-01 00:00:00.000000'")
    assert client.get(INTERNAL).status_code == 404


def test_session_lifetime_is_a_setting(kb_dir, built_index):
    client = make_app(kb_dir, built_index).test_client()
    cookie = [c for c in sign_in(client).headers.getlist("Set-Cookie") if c.startswith("kb_agent=")][0]
    assert "Max-Age=43200" in cookie  # 12 hours by default
    client = make_app(kb_dir, built_index, KB_SESSION_HOURS=2).test_client()
    cookie = [c for c in sign_in(client).headers.getlist("Set-Cookie") if c.startswith("kb_agent=")][0]
    assert "Max-Age=7200" in cookie


def test_session_hours_must_be_a_positive_number(kb_dir):
    with pytest.raises(ConfigError, match="KB_SESSION_HOURS"):
        Settings.load(str(kb_dir), environ={"KB_SESSION_HOURS": "forever"})


def test_secure_cookies_by_setting_and_over_https(kb_dir, built_index):
    plain = make_app(kb_dir, built_index).test_client()
    assert not any("Secure" in c for c in sign_in(plain).headers.getlist("Set-Cookie"))
    forced = make_app(kb_dir, built_index, KB_SECURE_COOKIES=True).test_client()
    cookies = sign_in(forced).headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)
    https = make_app(kb_dir, built_index).test_client()
    csrf = csrf_of(https.get("/agent/", base_url="https://localhost").get_data(as_text=True))
    response = https.post("/agent/sign-in", data={"csrf": csrf, "token": AGENT_TOKEN},
                          base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    assert response.status_code == 302 and cookies and all("Secure" in c for c in cookies)


@pytest.mark.parametrize("url", ["/", "/search?q=退款", "/articles/refund-timeline", "/api/search?q=退款",
                                 "/api/articles", INTERNAL, "/agent/", "/healthz"])
def test_responses_that_can_carry_internal_content_are_private(client, agent_headers, url):
    for headers in ({}, agent_headers):
        response = client.get(url, headers=headers)
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert {v.strip() for v in response.headers["Vary"].split(",")} >= {"Authorization", "Cookie"}, url


def test_static_files_stay_cacheable(client):
    assert "no-store" not in client.get("/static/site.css").headers.get("Cache-Control", "")
