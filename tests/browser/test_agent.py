"""The agent console in a real browser: sign in, search as you type, open, copy, recently viewed."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import AGENT_TOKEN


def sign_in(page):
    page.goto("/agent/")
    page.get_by_label("坐席令牌").fill(AGENT_TOKEN)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#agent-q")).to_be_focused()


def test_unauthenticated_sees_only_the_sign_in(page):
    page.goto("/agent/")
    expect(page.get_by_label("坐席令牌")).to_be_visible()
    expect(page.locator("#agent-q")).to_have_count(0)
    page.get_by_label("坐席令牌").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("令牌无效")


def test_search_while_typing_open_and_copy(page, context, base_url):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    sign_in(page)
    page.keyboard.type("升级二线", delay=40)
    results = page.locator("#agent-results li")
    expect(results.first).to_contain_text("一线升级二线处理规范")
    expect(results.first.locator(".badge")).to_have_text("内部")

    page.keyboard.press("ArrowDown")
    expect(page.locator("#agent-results")).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", level=2).first).to_contain_text("一线升级二线处理规范")

    page.keyboard.press("c")
    expect(page.locator("#toast")).to_have_text("已复制答案")
    copied = page.evaluate("navigator.clipboard.readText()")
    first_answer = results.first.locator(".answer").inner_text()
    assert copied.strip() == first_answer.strip() and copied.strip()
    expect(page.locator("#recent-viewed li").first).to_have_text("一线升级二线处理规范")
    screenshot(page, "agent")


def test_results_follow_the_latest_text(page):
    sign_in(page)
    box = page.locator("#agent-q")
    box.press_sequentially("refund still pending", delay=15)
    expect(page.locator("#agent-results li").first).to_contain_text("Refund still pending")
    page.keyboard.press("/")  # already in the box: types nothing special
    box.fill("")
    box.press_sequentially("冻结", delay=15)
    expect(page.locator("#agent-results li").first).to_contain_text("冻结")


def test_slash_focuses_and_arrows_move(page):
    sign_in(page)
    page.keyboard.type("退款")
    results = page.locator("#agent-results li")
    expect(results.nth(1)).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("/")
    expect(page.locator("#agent-q")).to_be_focused()


def test_sign_out(page):
    sign_in(page)
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("坐席令牌")).to_be_visible()
