"""The answer bot in a real browser: the Ask panel (keyboard, screen reader roles), a vote, a
hand-over that reaches a signed-in agent console within 2 seconds, the no-JavaScript /ask page,
and the insights page."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import AGENT_TOKEN

CASES = {
    "zh": {
        "locale": "zh-CN",
        "question": "提现多久到账",
        "answer": "2 小时内到账",
        "ask_us": "问我们",
        "no": "没帮助",
        "handover": "转人工",
        "contact": "联系方式",
        "done": "已转人工客服",
        "token": "坐席令牌",
        "sign_in": "登录",
        "claim": "接手",
        "mine": "由你接手",
    },
    "en": {
        "locale": "en-US",
        "question": "refund still pending",
        "answer": "7 business days",
        "ask_us": "Ask us",
        "no": "No",
        "handover": "Talk to a person",
        "contact": "How can we reach you",
        "done": "will take over",
        "token": "Agent token",
        "sign_in": "Sign in",
        "claim": "Take over",
        "mine": "Taken by you",
    },
}


def signed_in_console(browser, base_url, case):
    context = browser.new_context(
        base_url=base_url, locale=case["locale"], viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto("/agent/")
    page.get_by_label(case["token"]).fill(AGENT_TOKEN)
    page.get_by_role("button", name=case["sign_in"]).click()
    expect(page.locator(".handovers")).to_be_visible()
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ask_vote_and_hand_over_to_a_console(browser, base_url, page, context, lang):
    case = CASES[lang]
    agent_context, console = signed_in_console(browser, base_url, case)
    try:
        page.goto(f"/?lang={lang}")
        launcher = page.get_by_role("button", name=case["ask_us"])
        expect(launcher).to_have_attribute("aria-expanded", "false")
        launcher.click()
        expect(launcher).to_have_attribute("aria-expanded", "true")
        panel = page.get_by_role("dialog")
        box = panel.get_by_role("textbox")
        expect(box).to_be_focused()
        box.fill(case["question"])
        box.press("Enter")
        log = panel.get_by_role("log")
        answer = log.locator(".answer").last
        expect(answer).to_contain_text(case["answer"])
        expect(answer.get_by_role("link")).to_have_attribute("href", re.compile(r"via=bot"))
        if lang == "zh":
            screenshot(page, "ask-panel")
        log.get_by_role("button", name=case["no"], exact=True).click()
        contact = log.get_by_label(re.compile(case["contact"]))
        expect(contact).to_be_focused()
        contact.fill("a.customer@example.com")
        log.get_by_role("button", name=case["handover"]).click()
        expect(log).to_contain_text(case["done"])
        handed_at = time.monotonic()

        item = console.locator(".handover").filter(has_text=case["question"]).first
        expect(item).to_be_visible(timeout=2000)
        assert time.monotonic() - handed_at < 2.0
        expect(item).to_contain_text("a.customer@example.com")
        expect(item.locator(".vote.no")).to_be_visible()  # the 没帮助 vote travels with it
        item.get_by_role("button", name=case["claim"]).click()
        expect(console.locator("#agent-q")).to_have_value(case["question"])  # the search runs for it
        expect(console.locator("#agent-results li").first).to_be_visible()
        expect(console.locator(".handover").filter(has_text=case["question"]).first).to_contain_text(
            case["mine"]
        )
        if lang == "zh":
            screenshot(console, "handover-queue")
    finally:
        agent_context.close()


def test_the_panel_works_from_the_keyboard(page):
    page.goto("/")
    launcher = page.get_by_role("button", name="问我们")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("dialog").get_by_role("textbox")
    expect(box).to_be_focused()
    page.keyboard.type("转人工")
    page.keyboard.press("Enter")
    log = page.get_by_role("log")
    expect(log).to_contain_text("马上为你转人工")
    expect(log.get_by_role("button", name="转人工")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    # The conversation follows the visitor to the next page.
    page.goto("/articles/refund-timeline")
    page.get_by_role("button", name="问我们").click()
    expect(page.get_by_role("log")).to_contain_text("转人工")


def test_the_ask_page_without_javascript(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="问我们").click()
    expect(page).to_have_url(re.compile(r"/ask$"))
    page.get_by_label("你的问题").fill("提现多久到账")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".answer")).to_contain_text("2 小时内到账")
    page.get_by_role("button", name="没帮助").click()
    page.get_by_label("联系方式").fill("13800138000")
    page.get_by_role("button", name="转人工").click()
    expect(page.get_by_role("status")).to_contain_text("已转人工客服")
    context.close()


def past_week(database) -> None:
    """A week of recorded traffic (as the server's writer records it) from 40 visitors."""
    import datetime as dt
    import random

    from web.analytics import Event, Recorder
    from web.database import connect

    rng = random.Random(12)
    found = [
        ("退款多久到账", "refund-timeline"),
        ("提现多久到账", "faq-withdraw"),
        ("账户被冻结了", "account-freeze"),
        ("支付失败怎么办", "payment-failed"),
        ("refund still pending", "en/refund"),
    ]
    missing = ["数字人民币怎么开通", "境外消费退税", "数字人民币钱包", "ETC 扣费"]
    recorder = Recorder(connect(f"sqlite:///{database}"), enabled=True, keep_days=90)
    now = dt.datetime.now(dt.UTC)
    for day in range(1, 7):
        for n in range(rng.randint(12, 30)):
            at = now - dt.timedelta(days=day, minutes=n)
            client = f"visitor-{rng.randint(1, 40)}"
            if rng.random() < 0.2:
                query = rng.choice(missing)
                recorder.record(Event("search", "helpcenter", "zh", query, 0, "none", client=client, at=at))
                continue
            query, article = rng.choice(found)
            recorder.record(Event("search", "helpcenter", "zh", query, 3, "high", client=client, at=at))
            if rng.random() < 0.6:
                recorder.record(
                    Event(
                        "click",
                        "helpcenter",
                        "zh",
                        query,
                        article_id=article,
                        position=rng.choice([1, 1, 1, 2, 3]),
                        client=client,
                        at=at,
                    )
                )
    recorder.close()


def test_the_insights_page(browser, base_url, browser_kb, page):
    past_week(browser_kb / "kb.sqlite3")
    page.goto("/search?q=退款多久到账")
    page.locator(".answer-card a").first.click()
    page.goto("/search?q=qqqzzz")
    context, console = signed_in_console(browser, base_url, CASES["zh"])
    try:
        time.sleep(1.0)  # the writer flushes at least every second
        console.goto("/agent/insights/?days=7")
        chart = console.get_by_role("img")
        expect(chart).to_be_visible()
        assert console.locator("svg.chart g").count() == 7  # one bar per day
        gaps = console.locator("section").filter(has_text="内容缺口")
        expect(gaps).to_contain_text("qqqzzz")
        expect(gaps).to_contain_text("数字人民币怎么开通")
        screenshot(console, "insights")
    finally:
        context.close()
