"""The agent console in a real browser: sign in, search as you type, open, copy, recently viewed."""

from __future__ import annotations

import re

import pytest
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


# -- issue 15: the console at half-screen width, keys from the search box, no repeats --------------

@pytest.fixture
def console(browser, base_url, request):
    """A signed-in console at (width, locale) = request.param, failing on script errors."""
    width, locale = request.param
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 800}, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/agent/")
    page.locator("#token").fill(AGENT_TOKEN)
    page.locator("#token").press("Enter")
    expect(page.locator("#agent-q")).to_be_focused()
    yield page
    context.close()
    assert not errors, errors


def search_and_enter_the_list(page, text: str) -> None:
    page.keyboard.type(text, delay=30)
    expect(page.locator("#agent-results li").first).to_be_visible()
    page.keyboard.press("ArrowDown")


def fully_in_viewport(page, locator) -> dict:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box["y"] >= 0 and box["x"] >= 0, box
    assert box["y"] + box["height"] <= size["height"] + 0.5, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, box
    return box


@pytest.mark.parametrize("console", [(640, "zh-CN"), (375, "en-US")], indirect=True, ids=str)
def test_narrow_console_opens_the_article_over_the_results(console):
    page = console
    page.keyboard.type("退款", delay=30)
    expect(page.locator("#agent-results li").first).to_contain_text("退款")
    page.keyboard.press("Enter")  # straight from the search box
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", level=2).first).to_be_visible()
    fully_in_viewport(page, panel)  # over the results, not 1,300 px below them
    expect(panel).to_be_focused()
    expect(page.locator("#panel .focused-section")).to_be_in_viewport()  # at the answered section
    if page.viewport_size["width"] == 640:
        screenshot(page, "console-640-panel")
    page.keyboard.press("c")  # the answer is copied from the open panel too
    expect(panel.locator("[data-copy-status]")).to_have_text(re.compile("已复制答案|Answer copied"))
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.locator("#agent-results")).to_be_focused()
    page.locator("#agent-results li").nth(1).click()
    expect(panel).to_be_visible()
    panel.get_by_role("button", name=re.compile("返回结果|Back to results")).click()
    expect(panel).to_be_hidden()


@pytest.mark.parametrize("console", [(1280, "zh-CN")], indirect=True, ids=str)
def test_wide_console_panel_fits_the_window(console):
    page = console
    search_and_enter_the_list(page, "退款")
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", level=2).first).to_be_attached()
    fully_in_viewport(page, panel)  # the bottom is not cut off
    # Its last line can be scrolled into view inside the panel, without scrolling the page.
    panel.evaluate("p => { p.scrollTop = p.scrollHeight; }")
    last = panel.locator(".body > *").last
    expect(last).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("#agent-results")).to_be_focused()  # ↑/↓ still move through the results


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("console", [(1280, "zh-CN"), (640, "zh-CN")], indirect=True, ids=str)
def test_copy_notice_covers_no_text(console):
    page = console
    search_and_enter_the_list(page, "退款")
    page.keyboard.press("c")
    toast = page.locator("#toast")
    expect(toast).to_have_text("已复制答案")
    box = toast.bounding_box()
    texts = page.locator("#agent-results li, .hint, .result-count, #agent-q, .panel-content > *, label")
    for i in range(texts.count()):
        other = texts.nth(i).bounding_box()
        if other:
            assert not overlaps(box, other), texts.nth(i).inner_text()[:40]
    assert page.evaluate("getComputedStyle(document.getElementById('toast')).position") == "static"


@pytest.mark.parametrize("console", [(1280, "zh-CN"), (640, "en-US")], indirect=True, ids=str)
def test_keys_act_on_the_highlighted_result_from_the_search_box(console):
    page = console
    page.keyboard.type("升级二线", delay=30)
    first = page.locator("#agent-results li").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(page.locator("#agent-q")).to_be_focused()
    page.keyboard.press("Control+c")  # nothing selected in the box: the highlighted answer is copied
    expect(page.locator("#toast")).to_have_text(re.compile("已复制答案|Answer copied"))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == first.locator(".answer").inner_text().strip()
    assert page.locator("#agent-q").input_value() == "升级二线"  # and nothing was typed
    page.keyboard.press("Enter")
    title = page.locator("#panel").get_by_role("heading", level=2).first
    expect(title).to_contain_text("一线升级二线处理规范")
    if page.viewport_size["width"] > 700:
        expect(page.locator("#agent-results")).to_be_focused()  # so "c" and ↑/↓ keep working
    page.evaluate("navigator.clipboard.writeText('')")
    page.keyboard.press("c")
    assert page.evaluate("navigator.clipboard.readText()").strip() == copied.strip()


@pytest.mark.parametrize("console", [(1280, "zh-CN")], indirect=True, ids=str)
def test_no_answer_is_shown_twice(console):
    page = console
    page.keyboard.type("退款多久到账", delay=30)
    answers = page.locator("#agent-results .answer")
    expect(answers.first).to_be_visible()
    snippets = page.locator("#agent-results .snippet").all_inner_texts()
    for answer in answers.all_inner_texts():
        for snippet in snippets:
            words = snippet.strip("… ")
            assert words not in answer and answer.strip() not in snippet, (answer, snippet)


@pytest.mark.parametrize("console", [(1280, "zh-CN")], indirect=True, ids=str)
def test_interface_language_first_in_the_console(console):
    page = console
    page.keyboard.type("退款 refund", delay=30)
    items = page.locator("#agent-results li")
    expect(items.first).to_contain_text("退款")
    english = items.filter(has_text="Where is my refund?").first
    expect(english.locator(".badge.lang")).to_have_text("英文")


@pytest.mark.parametrize("console", [(1280, "zh-CN")], indirect=True, ids=str)
def test_agents_see_drafts_with_a_badge_and_a_preview_link(console, browser):
    page = console
    page.keyboard.type("红包领取说明", delay=30)
    result = page.locator("#agent-results li").filter(has_text="红包领取说明").first
    expect(result.locator(".badge.draft")).to_have_text("草稿")
    result.click()
    preview = page.locator("#panel a.preview")
    expect(preview).to_have_text("预览页面")
    assert preview.get_attribute("href") == "/articles/red-packet-draft"
    with page.context.expect_page() as opened:
        preview.click()
    draft = opened.value
    expect(draft.locator(".draft-notice")).to_be_visible()
    expect(draft.get_by_role("heading", level=1)).to_contain_text("红包领取说明")
    # The public does not see it at all.
    public = browser.new_context(base_url=page.url.split("/agent")[0]).new_page()
    assert public.goto("/articles/red-packet-draft").status == 404
    public.goto("/search?q=红包领取说明")
    expect(public.locator("main")).not_to_contain_text("红包领取后")
    public.context.close()


def test_enter_and_copy_act_on_the_results_of_the_text_in_the_box(page, context, base_url):
    """An agent types a new question and presses Enter (or Ctrl+C) at once, before the results
    follow the text: the console opened (and copied) the previous question's answer."""
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    sign_in(page)
    box = page.locator("#agent-q")
    box.press_sequentially("冻结", delay=15)
    results = page.locator("#agent-results li")
    expect(results.first).to_contain_text("冻结")
    box.fill("refund still pending")
    box.press("Enter")
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", level=2).first).to_contain_text("Where is my refund?")
    expect(results.first).to_contain_text("Refund still pending")

    box.focus()
    box.fill("冻结")
    box.press("Control+c")
    expect(page.locator("#toast")).to_have_text("已复制答案")
    expect(results.first).to_contain_text("冻结")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == results.first.locator(".answer").inner_text().strip()
