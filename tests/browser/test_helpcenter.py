"""The help center in a real browser: search, type-ahead, anchors, votes, phones, no JavaScript."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import screenshot


def test_search_shows_the_answer_card(page):
    page.goto("/")
    screenshot(page, "home")
    page.get_by_role("combobox").fill("提现多久到账")
    page.get_by_role("button", name="搜索").click()
    card = page.locator(".answer-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("2 小时内到账")
    # A short answer shows as its Markdown renders (tables stay tables), not as a snippet.
    expect(card.locator(".answer-markdown")).to_be_visible()
    screenshot(page, "results")


def test_type_ahead_with_the_keyboard(page):
    page.goto("/?lang=en")
    box = page.get_by_role("combobox")
    box.press_sequentially("退")
    options = page.get_by_role("option")
    expect(options.first).to_have_text("退款多久到账")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(page.locator("#suggestions")).to_be_hidden()
    box.press_sequentially("款")
    expect(options.first).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")
    # What was typed rides along, so the pick is counted.
    page.wait_for_url(re.compile(r"/articles/refund-timeline\?q=%E9%80%80%E6%AC%BE&via=suggest$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("退款多久到账")


def test_typing_after_picking_a_suggestion_searches_what_was_typed(page):
    """A suggestion highlighted, then more typed and Enter at once (before new suggestions come):
    that opened the suggestion picked for the shorter text."""
    page.goto("/?lang=en")
    box = page.get_by_role("combobox")
    box.press_sequentially("退")
    expect(page.get_by_role("option").first).to_have_text("退款多久到账")
    box.press("ArrowDown")
    box.press("End")
    box.type("款怎么申请")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    expect(page.locator("input#q")).to_have_value("退款怎么申请")


def test_deep_link_lands_on_the_section(page):
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto("/articles/refund-timeline#退款一直没到账")
    section = page.locator("#退款一直没到账")
    expect(section).to_be_in_viewport()
    assert page.evaluate("document.querySelector(':target').id") == "退款一直没到账"
    assert page.evaluate("window.scrollY") > 0  # the browser scrolled to it
    page.get_by_role("link", name="到账时间").click()
    expect(page.locator("#到账时间")).to_be_in_viewport()
    screenshot(page, "article")


def test_vote_on_an_article(page, browser_kb: Path):
    page.goto("/articles/en/refund?q=refund&lang=en")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status").filter(has_text="Thanks")).to_have_text("Thanks for your feedback!")
    rows = sqlite3.connect(browser_kb / "kb.sqlite3").execute(
        "SELECT article_id, helpful, query FROM feedback").fetchall()
    assert ("en/refund", 1, "refund") in rows


def test_phone_width_is_usable(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    for url in ("/", "/search?q=退款多久到账", "/articles/refund-timeline", "/search?q=支付结果回调示例",
                "/articles/payment-callback"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    page.goto("/search?q=支付结果回调示例")  # the card's code scrolls sideways in its own box
    expect(page.locator(".answer-card pre")).to_be_visible()
    page.goto("/")
    box = page.get_by_role("combobox")
    box.fill("银行卡退款")
    box.press("Enter")
    expect(page.locator(".answer-card")).to_be_visible()
    assert page.locator(".answer-card").bounding_box()["width"] <= 375
    screenshot(page, "results-phone")
    context.close()


def test_results_page_without_javascript(browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto("/search?q=refund+still+pending")
    expect(page.locator(".answer-card")).to_contain_text("still pending after 7 business days")
    page.locator("select[name=in]").select_option("en")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]in=en"))
    expect(page.locator("ol.results li").first).to_be_visible()
    context.close()


def test_keyboard_focus_is_visible(page):
    page.goto("/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
