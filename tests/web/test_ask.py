"""The answer bot and hand-overs through Flask's test client, against a real index and database."""

from __future__ import annotations

import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AGENT_TOKEN, indexed_copy, make_app
from tests.web.test_pages import csrf_of, sign_in

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}
UNLIMITED = "100000 per second"


def ask(client, question, conversation=None, **extra):
    body = {"question": question, **extra}
    if conversation:
        body["conversation"] = conversation
    response = client.post("/api/ask", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- /api/ask ------------------------------------------------------------------------------------------
def test_a_confident_question_is_answered(client):
    body = ask(client, "提现多久到账")
    assert list(body) == ["conversation", "confidence", "answer", "articles", "handover"]
    assert body["confidence"] == "high" and body["answer"]["article_id"] == "faq-withdraw"
    assert {"article_id", "title", "heading", "anchor", "text", "snippet", "url", "score"} <= set(
        body["answer"]
    )
    assert 1 <= len(body["articles"]) <= 3 and body["handover"] == {"offered": False, "reason": None}
    assert re.fullmatch(r"[\w-]{16,}", body["conversation"])


@pytest.mark.parametrize("question", ["qqqzzzxxx", "pizza delivery"])
def test_no_answer_offers_a_person(client, question):
    """"pizza delivery" shares letters with one article (confidence none): the bot offered it as
    "these articles may help", where the help center shows its no-results page."""
    body = ask(client, question)
    assert body["confidence"] == "none" and body["answer"] is None and body["articles"] == []
    assert body["handover"] == {"offered": True, "reason": "no_answer"}


def test_a_follow_up_is_asked_with_its_topic(client):
    """那余额呢 after 退款多久到账 asks about a refund to the balance; alone it found 余额不足 (a
    payment failing for a low balance)."""
    conversation = ask(client, "退款多久到账")["conversation"]
    body = ask(client, "那余额呢？", conversation)
    assert body["answer"]["article_id"] == "refund-timeline" and body["answer"]["heading"] == "到账时间"
    assert ask(client, "那余额呢？")["answer"]["article_id"] == "payment-failed"  # a new conversation


def test_a_follow_up_on_the_topic_keeps_its_own_words(client):
    """那手续费呢 after 提现多久到账: the fee, not the delay its topic asked about; and after a
    follow-up, the next one still goes with the last question of its own."""
    conversation = ask(client, "提现多久到账")["conversation"]
    assert ask(client, "那手续费呢", conversation)["answer"]["heading"] == "提现收手续费吗？"
    assert ask(client, "转人工", conversation)["handover"]["reason"] == "asked_for_human"
    body = ask(client, "那余额呢", conversation)
    assert body["answer"]["article_id"] == "faq-withdraw"


@pytest.mark.parametrize("message, follow_up", [
    ("信用卡的呢", True), ("那充值呢？", True), ("如果是境外的呢", True), ("还有别的办法吗", True),
    ("那 Apple Pay 呢", True), ("用 Apple Pay 付款为什么一直失败呢", False),
    ("What about credit cards?", True), ("and for a debit card?", True),
    ("怎么解绑银行卡呢", False), ("我的钱怎么还没到呢", False), ("退款多久到账", False),
    ("how long does a refund take", False),
    ("what if my phone and my card were both stolen last night", False),
])
def test_what_a_follow_up_is(message, follow_up):
    from web.bot import is_follow_up

    assert is_follow_up(message) is follow_up


@pytest.mark.parametrize(
    "message",
    ["转人工", "我要人工客服", "轉人工", "talk to a person", "I want to speak with a human", "agent please"],
)
def test_asking_for_a_person_hands_over_at_once(client, message):
    body = ask(client, message)
    assert body["handover"] == {"offered": True, "reason": "asked_for_human"} and body["answer"] is None


def test_saying_it_did_not_help_offers_a_person(client):
    conversation = ask(client, "提现多久到账")["conversation"]
    body = ask(client, "没帮助", conversation)
    assert body["conversation"] == conversation
    assert body["handover"] == {"offered": True, "reason": "not_helpful"}


def test_only_confidence_decides(client, monkeypatch):
    """ "low" never answers, whatever the answers list holds (contract 4)."""
    from search.searcher import SearchIndex

    original = SearchIndex.search

    def low(self, *args, **kwargs):
        results = original(self, *args, **kwargs)
        results.confidence = "low"
        return results

    monkeypatch.setattr(SearchIndex, "search", low)
    body = ask(client, "提现多久到账")
    assert body["answer"] is None and body["articles"] and body["confidence"] == "low"
    assert body["handover"] == {"offered": True, "reason": "low_confidence"}


def test_internal_playbooks_never_answer_the_bot(client):
    """升级二线 finds the internal playbook for agents; the bot, even asked with an agent token, does not."""
    assert client.get("/api/search", query_string={"q": "升级二线"}, headers=AGENT).get_json()["articles"]
    for headers in ({}, AGENT):
        body = client.post("/api/ask", json={"question": "升级二线处理规范"}, headers=headers).get_json()
        shown = [body["answer"] or {}] + body["articles"]
        assert all(item.get("visibility", "public") == "public" for item in shown)
        assert "ops/escalation" not in str(body)


@pytest.mark.parametrize(
    "body, status",
    [
        (None, 400),
        ([], 400),
        ({}, 400),
        ({"question": ""}, 400),
        ({"question": "   "}, 400),
        ({"question": 3}, 400),
        ({"question": "x", "conversation": 5}, 400),
        ({"question": "x", "conversation": "a" * 65}, 400),
        ({"question": "x", "lang": "fr"}, 400),
    ],
)
def test_bad_requests_are_400(client, body, status):
    response = client.post("/api/ask", json=body) if body is not None else client.post("/api/ask", data="{")
    assert response.status_code == status and "error" in response.get_json()


def test_a_forged_or_foreign_conversation_starts_a_new_one(app):
    alice, mallory = app.test_client(), app.test_client()
    alices = ask(alice, "我的卡号 6222021234567890123 退款多久到账")["conversation"]
    for forged in (alices, "not-a-real-conversation-id", "' OR 1=1 --"):
        body = ask(mallory, "转人工", forged)
        assert body["conversation"] != alices
        response = mallory.post("/api/handovers", json={"conversation": forged})
        assert response.status_code == 404
    # Alice's conversation is untouched and still hers.
    assert ask(alice, "提现多久到账", alices)["conversation"] == alices


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    root = indexed_copy(tmp_path_factory.mktemp("ask-hostile"))
    return make_app(root / "articles", root / "index", KB_RATE_LIMIT=UNLIMITED, KB_HANDOVER_LIMIT=UNLIMITED)


HOSTILE = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    [
        "x" * 10_000,
        "退款" * 5000,
        "\x00\x00转人工\x00",
        "🙂" * 3000,
        "'; DROP TABLE turns; --",
        '" OR "1"="1',
        "<script>alert(1)</script>",
        "%00",
        "../../etc/passwd",
        "6222 0212 3456 7890 " * 400,
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    question=HOSTILE,
    conversation=st.none() | st.text(max_size=80),
    lang=st.sampled_from([None, "", "zh", "en", "x"]),
)
def test_hostile_questions_get_4xx_or_an_answer(open_app, question, conversation, lang):
    client = open_app.test_client()
    body = {"question": question, "conversation": conversation}
    if lang is not None:
        body["lang"] = lang
    response = client.post("/api/ask", json=body)
    assert response.status_code in (200, 400, 413), response.status_code  # 413: over the body cap
    if response.status_code == 200:
        data = response.get_json()
        assert data["confidence"] in ("high", "low", "none") and len(data["articles"]) <= 3
        handover = client.post(
            "/api/handovers", json={"conversation": data["conversation"], "note": question[:2000]}
        )
        assert handover.status_code in (200, 201)


# -- /api/handovers ----------------------------------------------------------------------------------------
def test_handover_carries_the_whole_conversation(app, client):
    conversation = ask(client, "提现多久到账")["conversation"]
    response = client.post(
        "/api/feedback",
        json={
            "article_id": "faq-withdraw",
            "helpful": False,
            "query": "提现多久到账",
            "conversation": conversation,
        },
    )
    assert response.status_code == 201
    ask(client, "qqqzzzxxx", conversation)
    created = client.post(
        "/api/handovers",
        json={
            "conversation": conversation,
            "contact": "138 1234 5678",
            "note": "卡号 6222021234567890123 扣了两次",
        },
    )
    assert created.status_code == 201 and isinstance(created.get_json()["id"], int)
    again = client.post("/api/handovers", json={"conversation": conversation})
    assert again.status_code == 200 and again.get_json() == created.get_json()

    listed = client.get("/api/handovers", headers=AGENT).get_json()["handovers"]
    handover = next(h for h in listed if h["id"] == created.get_json()["id"])
    assert handover["status"] == "open" and handover["lang"] == "zh" and handover["reason"] == "no_answer"
    assert handover["contact"] == "138 1234 5678"  # kept: given to be called back on
    assert handover["note"] == "卡号 [卡号] 扣了两次"
    assert [t["question"] for t in handover["turns"]] == ["提现多久到账", "qqqzzzxxx"]
    first, second = handover["turns"]
    assert first["answer"]["article_id"] == "faq-withdraw" and first["vote"] is False and first["at"]
    assert second["answer"] is None and second["handover"] == {"offered": True, "reason": "no_answer"}
    assert handover["last_question"] == "qqqzzzxxx"


def test_handover_reason_follows_the_conversation(client):
    helped = ask(client, "提现多久到账")["conversation"]
    client.post(
        "/api/feedback", json={"article_id": "faq-withdraw", "helpful": False, "conversation": helped}
    )
    client.post("/api/handovers", json={"conversation": helped})
    asked = ask(client, "转人工")["conversation"]
    client.post("/api/handovers", json={"conversation": asked})
    reasons = {
        h["turns"][0]["question"]: h["reason"]
        for h in client.get("/api/handovers", headers=AGENT).get_json()["handovers"]
    }
    assert reasons == {"提现多久到账": "not_helpful", "转人工": "asked_for_human"}


def test_handovers_need_an_agent(client):
    assert client.get("/api/handovers").status_code == 401
    assert client.get("/api/handovers", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/api/handovers/1/claim").status_code == 401
    assert client.get("/api/handovers", headers=AGENT, query_string={"status": "x"}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [{"conversation": "x", "contact": 5}, {"conversation": "x", "note": "n" * 2001}, {"contact": "x"}, None],
)
def test_bad_handovers_are_4xx(client, body):
    ask(client, "转人工")
    response = client.post("/api/handovers", json=body) if body else client.post("/api/handovers", data="x")
    assert response.status_code in (400, 404)


def test_cross_site_handover_is_refused(client):
    conversation = ask(client, "转人工")["conversation"]
    response = client.post(
        "/api/handovers", json={"conversation": conversation}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_handover_creation_is_rate_limited(kb_dir, built_index):
    app = make_app(kb_dir, built_index, KB_HANDOVER_LIMIT="2 per minute")
    client = app.test_client()
    statuses = []
    for _ in range(3):
        conversation = ask(client, "转人工")["conversation"]
        statuses.append(client.post("/api/handovers", json={"conversation": conversation}).status_code)
    assert statuses == [201, 201, 429]


def test_newest_first_and_exactly_one_agent_claims(app):
    customers = [app.test_client() for _ in range(3)]
    ids = []
    for n, customer in enumerate(customers):
        conversation = ask(customer, f"转人工 第{n}位")["conversation"]
        ids.append(customer.post("/api/handovers", json={"conversation": conversation}).get_json()["id"])
    listed = app.test_client().get("/api/handovers", headers=AGENT).get_json()["handovers"]
    assert [h["id"] for h in listed][:3] == ids[::-1]

    # Eight clients of two agents claim the newest at the same moment.
    target, barrier, outcomes = ids[-1], threading.Barrier(8), []
    app.config["KB_AGENT_TOKENS"] = (AGENT_TOKEN, "second-agent-token")

    def claim(token):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/handovers/{target}/claim", headers={"Authorization": f"Bearer {token}"})
        outcomes.append((token, response.status_code))

    threads = [
        threading.Thread(target=claim, args=(t,)) for t in [AGENT_TOKEN] * 4 + ["second-agent-token"] * 4
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = {token for token, status in outcomes if status == 200}
    assert len(winners) == 1 and sorted(s for _, s in outcomes).count(409) == 4
    handover = next(
        h
        for h in app.test_client()
        .get(
            "/api/handovers",
            headers={"Authorization": f"Bearer {winners.pop()}"},
            query_string={"status": "claimed"},
        )
        .get_json()["handovers"]
        if h["id"] == target
    )
    assert handover["claimed_by_me"] and handover["status"] == "claimed"
    assert target not in [
        h["id"]
        for h in app.test_client().get("/api/handovers", headers=AGENT).get_json()["handovers"]
        if h["status"] == "open"
    ]
    assert app.test_client().post("/api/handovers/99999/claim", headers=AGENT).status_code == 404


def test_console_shows_the_queue(client):
    sign_in(client)
    html = client.get("/agent/").get_data(as_text=True)
    assert 'class="handovers"' in html and "转人工队列" in html and "/static/handovers.js" in html
    assert 'class="ask"' not in html  # no customer panel in the console


# -- the Ask panel and the /ask page -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", ["/", "/search?q=退款", "/articles/refund-timeline", "/categories/退款与争议"]
)
def test_every_help_center_page_has_the_ask_panel(client, url):
    html = client.get(url).get_data(as_text=True)
    assert 'class="ask"' in html and 'href="/ask"' in html and "/static/ask.js" in html
    assert 'role="log"' in html and 'aria-live="polite"' in html and '<label for="ask-q">' in html


@pytest.mark.parametrize(
    "lang, texts",
    [
        ("zh", ["在线问答", "有帮助", "转人工", "已转人工客服"]),
        ("en", ["Ask us", "Yes", "Talk to a person", "will take over"]),
    ],
)
def test_the_ask_page_works_with_forms_only(app, lang, texts):
    client = app.test_client()
    html = client.get("/ask", query_string={"lang": lang}).get_data(as_text=True)
    assert texts[0] in html and 'method="post"' in html
    csrf = csrf_of(html)
    assert client.post("/ask", data={"question": "提现多久到账"}).status_code == 400  # no form token
    response = client.post("/ask", data={"csrf": csrf, "question": "提现多久到账"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ask#latest")
    html = client.get("/ask").get_data(as_text=True)
    assert "提现多久到账" in html and "2 小时内到账" in html and texts[1] in html
    assert "via=bot" in html  # the source link counts as a click of the bot
    assert (
        client.post(
            "/ask/vote", data={"csrf": csrf, "article_id": "faq-withdraw", "helpful": "0"}
        ).status_code
        == 303
    )
    html = client.get("/ask").get_data(as_text=True)
    assert texts[2] in html  # a person is offered after 没帮助
    assert (
        client.post("/ask/handover", data={"csrf": csrf, "contact": "a@b.cn", "note": ""}).status_code == 303
    )
    html = client.get("/ask").get_data(as_text=True)
    assert texts[3] in html
    listed = client.get("/api/handovers", headers=AGENT).get_json()["handovers"]
    assert listed[0]["reason"] == "not_helpful" and listed[0]["turns"][0]["vote"] is False
    assert listed[0]["contact"] == "a@b.cn"
    assert (
        client.post("/ask/vote", data={"csrf": csrf, "article_id": "en/refund", "helpful": "1"}).status_code
        == 404
    )
    client.post("/ask/new", data={"csrf": csrf})
    assert "提现多久到账" not in client.get("/ask").get_data(as_text=True)
