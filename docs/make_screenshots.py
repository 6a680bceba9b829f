"""The README's screenshots, taken from the starter articles in a real `kb serve`.

    .venv/bin/python docs/make_screenshots.py          # all of them
    .venv/bin/python docs/make_screenshots.py vue      # only the Vue (zh) page: real VitePress
                                                       # Markdown with a callout, code and a table

Serves a copy of `articles/` and photographs, with Debian's Chromium (/usr/bin/chromium),
the pages the README tour shows; writes them to docs/screenshots/.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import BENCH_TOKEN, kb_serve  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


VUE_ZH = ROOT.parent / "shared" / "eval" / "docs" / "vue-zh" / "docs"


def vue_page() -> None:
    """The Vue guide's accessibility page (zh) as kb renders it: the table of landmarks and the
    `:::warning` callout holding a code block (docs/screenshots/vue-zh-article.png)."""
    if not VUE_ZH.is_dir():
        print(f"skipped the Vue page: {VUE_ZH} is absent")
        return
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(VUE_ZH, Path(tmp) / "articles")
        with kb_serve(Path(tmp) / "articles", Path(tmp) / "index", "--no-watch") as base, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_context(base_url=base, viewport={"width": 1100, "height": 900},
                                       locale="zh-CN").new_page()
            page.goto("/articles/guide/best-practices/accessibility")
            top, bottom = page.evaluate("""() => {
                const y = (el) => el.getBoundingClientRect().top + window.scrollY;
                const callout = document.querySelector('.callout.warning');
                return [y(document.getElementById('landmarks')),
                        y(callout) + callout.getBoundingClientRect().height];
            }""")
            page.screenshot(path=OUT / "vue-zh-article.png", full_page=True,
                            clip={"x": 0, "y": top - 20, "width": 1100, "height": bottom - top + 40})
            browser.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] == ["vue"]:
        vue_page()
        return
    vue_page()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "articles", Path(tmp) / "articles")
        with kb_serve(Path(tmp) / "articles", Path(tmp) / "index", "--no-watch") as base, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])

            def page_at(width: int, height: int = 900, locale: str = "zh-CN"):
                return browser.new_context(base_url=base, viewport={"width": width, "height": height},
                                           locale=locale, is_mobile=width < 700).new_page()

            page = page_at(1280)
            page.goto("/")
            page.screenshot(path=OUT / "helpcenter-home.png", full_page=True)
            page.goto("/search?q=钱没到账")
            page.screenshot(path=OUT / "helpcenter-results.png", full_page=True)
            page.goto("/articles/refund-timeline")
            page.screenshot(path=OUT / "helpcenter-article.png", full_page=True)

            phone = page_at(375, 740)
            phone.goto("/search?q=银行卡退款")
            phone.screenshot(path=OUT / "helpcenter-phone.png", full_page=True)
            phone.goto("/articles/en-refunds?lang=en")
            phone.get_by_role("button", name="No").click()
            form = phone.locator("form.feedback-reason")
            form.get_by_label("It's out of date or wrong").check()
            form.get_by_label("Anything to add? (optional)").fill("Credit card refunds took 20 days for me")
            phone.locator(".feedback").scroll_into_view_if_needed()
            phone.evaluate("document.querySelector('.feedback').scrollIntoView({block: 'start'})")
            phone.screenshot(path=OUT / "helpcenter-not-helpful.png")

            for width, name in ((1280, "agent-console.png"), (640, "agent-console-640.png")):
                agent = page_at(width, 800)
                agent.goto("/agent/")
                agent.locator("#token").fill(BENCH_TOKEN)
                agent.locator("#token").press("Enter")
                expect(agent.locator("#agent-q")).to_be_focused()
                agent.keyboard.type("退款一直没到账", delay=20)
                expect(agent.locator("#agent-results li").first).to_be_visible()
                agent.keyboard.press("Enter")
                expect(agent.locator("#panel .focused-section")).to_be_visible()
                agent.keyboard.press("c")
                agent.screenshot(path=OUT / name)
            browser.close()
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
