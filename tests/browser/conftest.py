"""Browser tests: Debian's headless Chromium driven by Playwright against a real `kb serve`.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium;
without it (or without the playwright package) these tests are skipped with one reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright import sync_api

from tests.conftest import FIXTURE_KB, running_kb_serve

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]



def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="browser tests need /usr/bin/chromium (apt-get install chromium)")
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_kb(tmp_path_factory) -> Path:
    """One knowledge base and index shared by the browser tests: the fixture articles, plus
    enough on one topic to page through, a translated pair, a wide Chinese table and a draft."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(FIXTURE_KB, root / "articles")
    write_extras(root / "articles")
    return root


POINTS_COUNT = 12  # articles found by 积分兑换: two pages of results


def write_extras(articles: Path) -> None:
    (articles / "points").mkdir()
    for n in range(POINTS_COUNT):
        (articles / "points" / f"rule-{n:02d}.md").write_text(
            f"---\ntitle: 积分兑换规则 {n:02d}\ncategory: 积分\n---\n积分兑换的第 {n} 条规则。\n", "utf-8")
    (articles / "points" / "points.md").write_text(
        "---\ntitle: 积分怎么用\nid: points\nlang: zh\ncategory: 积分\ntags: [积分, 积分抵扣, 会员]\n---\n"
        "积分可以在付款时抵扣现金，100 积分抵 1 元。\n\n## 积分过期\n积分在获得后第二年年底过期。\n", "utf-8")
    (articles / "en" / "points.md").write_text(
        "---\ntitle: Using your points\nid: en/points\nlang: en\ncategory: Points\ntags: [points]\n---\n"
        "Points pay for part of a purchase: 100 points are worth 1 yuan.\n\n## Expiry\n"
        "Points expire at the end of the year after you earn them.\n", "utf-8")
    (articles / "payments" / "refund-table.md").write_text(
        "---\ntitle: 各渠道退款到账时间表\nid: refund-table\ncategory: 退款与争议\n---\n"
        "## 到账时间表\n| 付款方式 | 到账时间 |\n| --- | --- |\n| 钱包余额 | 即时 |\n"
        "| 信用付 | 即时恢复额度 |\n"
        "| 储蓄卡 | 1–7 个工作日 |\n| 信用卡 | 1–15 个工作日，以银行入账为准 |\n", "utf-8")
    (articles / "payments" / "callback.md").write_text(  # a card whose code is wider than a phone
        "---\ntitle: 支付结果回调\nid: payment-callback\ncategory: 支付\n---\n商户用回调接收支付结果。\n\n"
        "## 回调示例\n回调是一个 POST 请求：\n\n```\ncurl -X POST 'https://merchant.example.com/wallet/notify"
        "?order_id=2026120700001234&amount=100.00&currency=CNY&sign=9f86d081884c7d659a2feaa0c55ad015'\n```\n",
        "utf-8")
    (articles / "payments" / "red-packet-draft.md").write_text(
        "---\ntitle: 红包领取说明\nid: red-packet-draft\ncategory: 优惠活动\ndraft: true\n---\n"
        "红包领取后 24 小时内有效。\n", "utf-8")


@pytest.fixture(scope="session")
def base_url(browser_kb: Path):
    # Many tests sign in to the console: the sign-in limit is tested elsewhere (tests/web).
    with running_kb_serve(browser_kb / "articles", browser_kb / "index",
                          env={"KB_SIGN_IN_LIMIT": "1000 per minute"}) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, base_url):
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Script errors fail the test; expected HTTP errors (a 401 on a wrong token) do not.
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status == 404 or response.status >= 500 else None)
    yield page
    assert not errors, f"the page reported errors: {errors}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
