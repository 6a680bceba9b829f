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
    """One knowledge base and index shared by the browser tests."""
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(FIXTURE_KB, root / "articles")
    return root


@pytest.fixture(scope="session")
def base_url(browser_kb: Path):
    with running_kb_serve(browser_kb / "articles", browser_kb / "index") as base:
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
