"""The dialect fixture folder (tests/fixtures/dialects) served by the real app: pages, callouts,
links, images and the /media route."""

import re
import shutil
from pathlib import Path

import pytest

from search.indexer import sync_index
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    base = tmp_path_factory.mktemp("dialects")
    shutil.copytree(ROOT, base / "articles")
    (base / "secret.txt").write_text("outside", "utf-8")
    report = sync_index(base / "articles", base / "index")
    assert report.articles == 18 and not [p for p in report.problems if p.level == "error"]
    return make_app(base / "articles", base / "index").test_client()


def page(client, article_id: str) -> str:
    response = client.get(f"/articles/{article_id}")
    assert response.status_code == 200, article_id
    return response.get_data(as_text=True).split('<div class="body">')[1].split("</article>")[0]


def test_vitepress_page(client):
    html = page(client, "vitepress/components")
    assert '<div class="callout tip"><p class="callout-title">提示</p>' in html
    assert 'class="callout warning"' in html and 'class="callout danger"' in html
    assert "<details" in html and "<summary>点击展开</summary>" in html
    assert '<code class="language-js">import { createApp }' in html  # fence indented in a list
    assert '<div class="code-title">main.ts</div>' in html and "Record&lt;string, Fn&gt;" in html
    assert '<h2 id="transition"><code>&lt;Transition&gt;</code></h2>' in html
    assert '<h2 id="passing-props">2. 传递 Props</h2>' in html
    assert 'href="/articles/vitepress/quick-start#creating-an-app"' in html
    assert "<table>" in html and "const count" not in html and "{#" not in html
    assert "&lt;script setup&gt;" in html and "组件可以直接使用" in html


def test_docusaurus_mdx_page(client):
    html = page(client, "docusaurus/tabs")
    assert "<strong>macOS</strong>" in html and "<strong>Windows</strong>" in html
    assert "import" not in html and "Tabs" not in html and "DocsHome" not in html
    assert '<p class="callout-title">小贴士</p>' in html and 'class="callout warning"' in html
    assert 'src="/media/img/logo.png"' in html
    assert client.get("/media/img/logo.png").data.startswith(b"\x89PNG")  # from static/img, as Docusaurus
    links = page(client, "docusaurus/getting-started")
    assert links.count('href="/articles/docusaurus/tabs"') == 2  # by slug under /docs/, and by .mdx path


def test_obsidian_page(client):
    html = page(client, "obsidian/wiki")
    assert 'href="/articles/obsidian/callouts"' in html
    assert ('<a href="/articles/obsidian/callouts#第二节" class="wikilink" rel="noopener noreferrer">'
            "第二节的说明</a>") in html
    assert 'href="/articles/vitepress/components"' in html  # by title
    assert '<img src="/media/obsidian/shot.png"' in html
    assert '<p class="callout-title">Obsidian 提示</p>' in html and 'class="callout note"' in html
    assert "[[" not in html and "[!" not in html
    assert client.get("/media/obsidian/shot.png").status_code == 200


def test_media_never_serves_sources_or_outside_files(client):
    for url in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/obsidian/wiki.md",
                "/media/_partial.md", "/media/mkdocs/.pages", "/media/docusaurus/_category_.json",
                "/media/nothing.png"):
        assert client.get(url).status_code == 404, url


def test_github_and_html_blocks(client):
    html = page(client, "github/alerts")
    assert 'class="callout warning"' in html and 'href="/articles/obsidian/wiki"' in html
    assert '<h2 id="在-html-块里的标题">' in html or 'id="在-html-块里的标题"' in html
    assert 'href="/articles/vitepress/components#transition"' in html
    assert not re.search(r"\\[.&]", html)


def test_categories_and_titles_in_listings(client):
    home = client.get("/").get_data(as_text=True)
    assert "Docusaurus 指南" in home and "MkDocs 手册" in home
    assert "Getting started" in client.get("/categories/Docusaurus 指南").get_data(as_text=True)


def test_tabs_hints_shortcodes_footnotes_task_and_definition_lists(client):
    tabs = page(client, "mkdocs/tabs")
    assert '<div class="container tab">\n<p class="callout-title">macOS</p>' in tabs
    assert '<code class="language-bash">brew install kb' in tabs  # a fence inside a tab, not indented code
    assert '<p class="callout-title">Windows</p>\n<p>从官网下载安装包。</p>' in tabs
    assert "<dl>\n<dt>余额</dt>\n<dd>钱包里可以直接使用的钱。</dd>" in tabs
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1"' in tabs
    assert '<li id="fn1" class="footnote-item"><p>标签页是 pymdownx.tabbed 的写法。' in tabs
    assert '=== "macOS"' not in tabs and '=== "Windows"' not in tabs and "[^" not in tabs
    assert 'if (a === "x") {}' in tabs  # inside a fence: as written
    folds = page(client, "mkdocs/admonitions")
    assert '<details class="callout note"><summary>可以折叠吗</summary>' in folds  # ??? folds, closed
    assert '<details class="callout tip" open=""><summary>提示</summary>' in folds  # ???+ open
    assert '<div class="code-title">hello.py</div>' in folds  # Docusaurus and MkDocs: title="…"
    assert '<img src="/media/obsidian/shot.png" alt="截图" width="300"' in folds  # { width="300" }
    assert ">打开钱包</a>" in folds and "{" not in folds.split("callout-title")[-1]
    gitbook = page(client, "gitbook/hints")
    assert ('<div class="callout warning"><p class="callout-title">警告</p>\n<p>提现前请确认银行卡信息。'
            in gitbook)
    assert '<p class="callout-title">安卓</p>' in gitbook and "{%" not in gitbook
    hugo = page(client, "hugo/shortcodes")
    assert '<div class="callout note"><p class="callout-title">Info</p>' in hugo
    assert '<div class="callout tip"><p class="callout-title">Good to know</p>' in hugo
    assert "{{" not in hugo and "youtube" not in hugo
    card = client.get("/search?q=安装方式 标签页").get_data(as_text=True)
    assert "安装方式见下面的标签页" in card and "[^" not in card  # the card lacks the page's footnotes
    jekyll = page(client, "jekyll/just-the-docs")
    assert '<div class="callout note"><p class="callout-title">注意</p>\n<p>提现前请先完成实名认证' in jekyll
    assert '<div class="callout warning"><p class="callout-title">注意安全</p>' in jekyll
    assert '<h2 id="arrival">到账时间</h2>' in jekyll and "{:" not in jekyll and "TOC" not in jekyll
    anchors = page(client, "github/anchors")
    assert '<a id="opts"' in anchors and 'href="#opts"' in anchors  # <a name="opts">: HTML5 has no name
    assert 'href="#child-processspawncommand-args"' in anchors  # GitHub's slug of the same heading
    assert 'href="/articles/vitepress/components#passing-props"' in anchors
    assert 'href="#options-2"' in anchors and '<h2 id="options-2">' in anchors  # GitHub's #options-1
    components = page(client, "docusaurus/components")
    assert '<div class="callout tip"><p class="callout-title">先看这里</p>' in components
    assert ('<div class="container tab">\n<p class="callout-title">macOS</p>\n<p>按 Command 键。</p>\n'
            '<div class="callout note">') in components
    assert '<div class="callout warning"><p class="callout-title">警告</p>\n<p>Nextra' in components
    nested = page(client, "gitbook/nested")
    assert nested.index("小心操作") < nested.index("提示之后") < nested.rindex("</div>")  # inside the tab
    assert ":::" not in nested
    tasks = page(client, "github/tasks")
    checked = '<input type="checkbox" checked="checked" disabled="disabled"> Bind'
    assert '<li class="task-list-item">' + checked in tasks
    assert '<li class="task-list-item"><input type="checkbox" disabled="disabled"> Set' in tasks
    assert "<p>{{ count }}</p>" in tasks


def test_a_page_written_in_html_is_served_and_answered_by_its_sections(client):
    html = page(client, "html/help-center")
    assert '<h2 id="times">各付款方式的到账时间</h2>' in html and '<h2 id="退款收手续费吗">' in html
    assert "<h1" not in html and '<td>银行卡</td><td>1–3 个工作日</td>' in html  # the title is not repeated
    answer = client.get("/api/search", query_string={"q": "银行卡退款几天到账"}).get_json()["answers"][0]
    assert (answer["article_id"], answer["heading"]) == ("html/help-center", "各付款方式的到账时间")
    assert "银行卡：1–3 个工作日" in answer["text"]
    answer = client.get("/api/search", query_string={"q": "退款收手续费吗"}).get_json()["answers"][0]
    assert (answer["heading"], answer["anchor"]) == ("退款收手续费吗？", "退款收手续费吗")
    answer = client.get("/api/search", query_string={"q": "退款发起了还能取消吗"}).get_json()["answers"][0]
    assert (answer["heading"], answer["text"]) == ("退款能取消吗？", "退款发起后不能取消。")
    assert '<p id="退款能取消吗"><strong>1. 退款能取消吗？</strong></p>' in html
