"""The help center and agent console pages through Flask's test client, against a real index."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import AGENT_TOKEN, make_app

ZH, EN = {"lang": "zh"}, {"lang": "en"}


def page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, token=AGENT_TOKEN):
    csrf = csrf_of(page(client, "/agent/"))
    return client.post("/agent/sign-in", data={"csrf": csrf, "token": token})


@pytest.mark.parametrize("lang, site_name, html_lang", [("zh", "钱包帮助中心", "zh-CN"),
                                                       ("en", "Wallet Help Center", "en")])
def test_home_in_both_languages(client, lang, site_name, html_lang):
    html = page(client, "/", query_string={"lang": lang})
    assert f'<html lang="{html_lang}">' in html and site_name in html
    assert 'role="search"' in html and 'data-suggest-url="/api/suggest"' in html
    assert "/categories/" in html and "退款与争议" in html  # categories with counts
    assert "内部流程" not in html  # the internal category is not public


def test_language_from_accept_language_and_cookie(client):
    assert "Wallet Help Center" in page(client, "/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "钱包帮助中心" in page(client, "/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page(client, "/", query_string=EN)  # sets the cookie
    assert "Wallet Help Center" in page(client, "/search", query_string={"q": "退款"},
                                        headers={"Accept-Language": "zh-CN"})


def test_results_page_answer_card_articles_and_filters(client):
    html = page(client, "/search", query_string={"q": "提现多久到账"})
    card = html.split('class="answer-card"')[1].split("</section>")[0]
    assert re.search(r'href="/articles/faq-withdraw\?q=[^"#]+&amp;rank=1#', card)  # the click is counted
    assert "2 小时内到" in card  # 到账 is 到 / 账 in this fixture: single characters are not marked
    assert '<ol class="results">' in html and 'name="in"' in html and 'name="category"' in html
    assert "<script" not in html.split('<main')[1].split('</main>')[0]  # works without scripts


def test_results_filters_narrow_the_articles(client):
    html = page(client, "/search", query_string={"q": "refund 退款", "in": "en"})
    results = html.split('<ol class="results">')[1].split("</ol>")[0]
    assert 'lang="en"' in results and 'lang="zh"' not in results
    html = page(client, "/search", query_string={"q": "到账", "category": "充值与提现"})
    results = html.split('<ol class="results">')[1].split("</ol>")[0]
    assert "/articles/faq-withdraw" in results and "/articles/refund-timeline" not in results


@pytest.mark.parametrize("query", ["qqqzzzxxx", "pizza delivery"])
@pytest.mark.parametrize("lang, phrase", [("zh", "没有找到"), ("en", "Nothing found")])
def test_no_results_page_shows_contacts_and_popular(client, lang, phrase, query):
    """"pizza delivery" shares letters with an article (confidence none, one article found): the page
    is the no-results page all the same, and its popular articles were an empty list."""
    html = page(client, "/search", query_string={"q": query, "lang": lang})
    assert phrase in html and "400-800-1234" in html
    popular = html.split('class="no-results"')[1].split("</section>")[0]
    assert len(re.findall(r'<li><a href="/articles/', popular)) >= 3


def test_did_you_mean_line(client):
    html = page(client, "/search", query_string={"q": "refnd pending", "lang": "en"})
    assert "Did you mean" in html and "refund pending" in html


def test_blank_search_shows_home(client):
    assert 'class="hero"' in page(client, "/search", query_string={"q": "  "})


@pytest.mark.parametrize("lang, helpful", [("zh", "这篇文章有帮助吗"), ("en", "Was this helpful?")])
def test_article_page(client, lang, helpful):
    html = page(client, "/articles/refund-timeline", query_string={"lang": lang})
    assert "<h1>退款多久到账" in html and 'lang="zh"' in html  # content keeps its own language
    assert '<nav class="toc"' in html and 'href="#到账时间"' in html and 'id="到账时间"' in html
    assert 'href="/categories/%E9%80%80%E6%AC%BE%E4%B8%8E%E4%BA%89%E8%AE%AE"' in html  # breadcrumb
    assert "<table>" in html and helpful in html and "2026-10-20" in html
    assert 'data-article-id="refund-timeline"' in html


def test_category_page(client):
    html = page(client, "/categories/退款与争议")
    assert "/articles/refund-timeline" in html
    assert client.get("/categories/内部流程").status_code == 404  # internal only
    assert client.get("/categories/no-such-category").status_code == 404


@pytest.mark.parametrize("lang, text", [("zh", "页面不存在"), ("en", "Page not found")])
def test_404_page_in_the_interface_language(client, lang, text):
    response = client.get("/articles/no-such-article", query_string={"lang": lang})
    assert response.status_code == 404 and text in response.get_data(as_text=True)


@pytest.mark.parametrize("lang, text", [("zh", "出错了"), ("en", "Something went wrong")])
def test_500_page_has_no_stack_trace(app, lang, text):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)
    response = app.test_client().get("/explode", query_string={"lang": lang})
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and text in body
    assert "secret internals" not in body and "Traceback" not in body


def test_security_headers_on_pages_and_api(client):
    for url in ("/", "/api/search?q=x", "/static/site.css"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]


def test_pages_load_nothing_from_other_hosts(client):
    for url in ("/", "/search?q=退款", "/articles/refund-timeline", "/agent/"):
        html = page(client, url)
        assert not re.search(r'(src|href)="(https?:)?//', html), url


def test_feedback_is_stored(client, built_index: Path):
    response = client.post("/api/feedback", json={"article_id": "refund-timeline", "helpful": True,
                                                  "query": "退款"},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 201
    client.post("/api/feedback", json={"article_id": "refund-timeline", "helpful": False},
                environ_base={"REMOTE_ADDR": "192.0.2.2"})  # another visitor
    rows = sqlite3.connect(built_index.parent / "kb.sqlite3").execute(
        "SELECT article_id, helpful, query FROM feedback ORDER BY id").fetchall()
    assert rows == [("refund-timeline", 1, "退款"), ("refund-timeline", 0, "")]


def test_votes_of_the_old_feedback_file_are_imported_once(kb_dir, built_index: Path):
    legacy = built_index.parent / "feedback.sqlite3"
    with sqlite3.connect(legacy) as old:
        old.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, "
                    "helpful INTEGER NOT NULL, query TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)")
        old.execute("INSERT INTO feedback (article_id, helpful, query, created_at) VALUES "
                    "('refund-timeline', 1, '退款', '2026-11-01 10:00:00')")
    old.close()
    make_app(kb_dir, built_index)
    make_app(kb_dir, built_index)  # a second start imports nothing again
    rows = sqlite3.connect(built_index.parent / "kb.sqlite3").execute(
        "SELECT article_id, helpful, query FROM feedback").fetchall()
    assert rows == [("refund-timeline", 1, "退款")] and not legacy.exists()


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"}])
def test_feedback_rejects_cross_site_posts(client, headers, built_index: Path):
    response = client.post("/api/feedback", json={"article_id": "refund-timeline", "helpful": True},
                           headers=headers)
    assert response.status_code == 403 and "error" in response.get_json()
    count = sqlite3.connect(built_index.parent / "kb.sqlite3").execute("SELECT COUNT(*) FROM feedback")
    assert count.fetchone() == (0,)


@pytest.mark.parametrize("body", [None, [], {"article_id": "refund-timeline"},
                                  {"article_id": 3, "helpful": True},
                                  {"article_id": "refund-timeline", "helpful": "yes"}])
def test_feedback_rejects_bad_bodies(client, body):
    response = client.post("/api/feedback", json=body) if body is not None else client.post(
        "/api/feedback", data="not json", content_type="application/json")
    assert response.status_code == 400 and "error" in response.get_json()


def test_feedback_on_unknown_or_internal_article_is_404(client):
    for article_id in ("nope", "ops/escalation"):
        response = client.post("/api/feedback", json={"article_id": article_id, "helpful": True})
        assert response.status_code == 404


def test_agent_console_needs_sign_in(client):
    html = page(client, "/agent/")
    assert 'name="token"' in html and 'id="agent-q"' not in html
    assert client.get("/agent").status_code in (301, 308)


def test_agent_sign_in_wrong_token(client):
    response = sign_in(client, "wrong")
    assert response.status_code == 401 and "令牌无效" in response.get_data(as_text=True)
    assert 'id="agent-q"' not in page(client, "/agent/")


def test_agent_sign_in_needs_the_form_token(client):
    page(client, "/agent/")
    response = client.post("/agent/sign-in", data={"csrf": "forged", "token": AGENT_TOKEN})
    assert response.status_code == 400
    assert 'id="agent-q"' not in page(client, "/agent/")


def test_agent_session_flow(client):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/agent/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and AGENT_TOKEN not in cookie
    html = page(client, "/agent/", query_string=EN)
    assert 'id="agent-q"' in html and "Sign out" in html and 'data-search-url="/api/search"' in html
    # The session reaches the API (the console's fetches) and the help center.
    body = client.get("/api/search", query_string={"q": "升级二线"}).get_json()
    assert body["articles"][0]["id"] == "ops/escalation"
    assert "一线升级二线处理规范" in page(client, "/articles/ops/escalation")

    csrf = csrf_of(html)
    assert client.post("/agent/sign-out", data={"csrf": csrf}).status_code == 302
    assert 'name="token"' in page(client, "/agent/")
    assert client.get("/api/articles/ops/escalation").status_code == 404


def test_session_ends_when_the_token_is_removed(app, client):
    sign_in(client)
    app.config["KB_AGENT_TOKENS"] = ("another-token",)
    assert 'name="token"' in page(client, "/agent/")


def test_internal_articles_never_on_public_pages(client):
    pages = [page(client, url) for url in (
        "/", "/?lang=en", "/search?q=升级二线", "/search?q=升级", "/search?q=escalation",
        "/categories/退款与争议", "/articles/refund-timeline")]
    for html in pages:
        assert "ops/escalation" not in html and "一线升级二线" not in html
    assert client.get("/articles/ops/escalation").status_code == 404


def test_console_banner_names_broken_files(app, client, kb_dir, built_index):
    from search.indexer import sync_index

    (kb_dir / "payments/refund-timeline.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    sync_index(kb_dir, built_index)
    sign_in(client)
    html = page(client, "/agent/")
    banner = html.split('class="banner"')[1].split("</div>")[0]
    assert "payments/refund-timeline.md:2" in banner
    health = client.get("/healthz", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}).get_json()
    assert health["errors"][0]["path"] == "payments/refund-timeline.md"
    assert "退款多久到账" in page(client, "/articles/refund-timeline")  # the last good version


def test_tokens_are_never_echoed(client):
    response = sign_in(client, "a-wrong-token-4242")
    assert b"a-wrong-token-4242" not in response.data
    response = client.get("/api/search", query_string={"q": "x"},
                          headers={"Authorization": "Bearer a-wrong-token-4242"})
    assert b"a-wrong-token-4242" not in response.data


def test_internal_articles_never_related_or_suggested_to_the_public(client, kb_dir, built_index):
    from search.indexer import sync_index

    (kb_dir / "payments/links.md").write_text(
        "---\ntitle: 升级投诉怎么处理\ntags: [升级, 二线]\nrelated: [ops/escalation]\n---\n"
        "升级二线的说明见内部手册。\n", "utf-8")
    sync_index(kb_dir, built_index)
    for url in ("/articles/payments/links", "/search?q=升级二线", "/api/articles/payments/links",
                "/api/search?q=升级二线", "/api/suggest?q=一线", "/api/articles?limit=200",
                "/categories/内部流程"):
        body = client.get(url).get_data(as_text=True)
        assert "ops/escalation" not in body and "一线升级二线处理规范" not in body, url
    agent = client.get("/api/articles/payments/links",
                       headers={"Authorization": f"Bearer {AGENT_TOKEN}"}).get_json()
    assert [r["id"] for r in agent["related"]] == ["ops/escalation"]


def test_no_results_lists_the_most_helpful_articles(client):
    for n, (article_id, helpful) in enumerate((("faq-withdraw", True), ("faq-withdraw", True),
                                               ("account-freeze", True), ("refund-timeline", False),
                                               ("ops/escalation", True))):
        client.post("/api/feedback", json={"article_id": article_id, "helpful": helpful},
                    headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})  # one vote per visitor
    html = page(client, "/search", query_string={"q": "qqqzzzxxx"})
    popular = html.split('class="no-results"')[1].split("</section>")[0]
    assert popular.index("/articles/faq-withdraw") < popular.index("/articles/account-freeze")
    assert "/articles/refund-timeline" not in popular and "ops/escalation" not in popular


def test_category_pages_are_paged(kb_dir, tmp_path):
    from tests.conftest import make_app

    for n in range(60):
        (kb_dir / "payments" / f"bulk-{n:02d}.md").write_text(
            f"---\ntitle: 批量文章 {n:02d}\ncategory: 批量\n---\n正文 {n}。\n", "utf-8")
    from search.indexer import sync_index

    sync_index(kb_dir, tmp_path / "paged-index")
    client = make_app(kb_dir, tmp_path / "paged-index").test_client()
    first = page(client, "/categories/批量")
    assert first.count("/articles/payments/bulk-") == 50 and 'rel="next" href="?page=2"' in first
    second = page(client, "/categories/批量", query_string={"page": 2})
    assert second.count("/articles/payments/bulk-") == 10 and 'rel="prev"' in second
    assert "第 2 / 2 页" in second
    assert client.get("/categories/批量", query_string={"page": 3}).status_code == 404
    assert client.get("/categories/批量", query_string={"page": "x"}).status_code == 200


# -- issue 15: the pages people use every day ---------------------------------------------------

def header_of(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


@pytest.mark.parametrize("url, status", [("/articles/refund-timeline", 200), ("/categories/退款与争议", 200),
                                         ("/search?q=退款", 200), ("/articles/no-such-article", 404),
                                         ("/no/such/page", 404), ("/agent/", 200)])
def test_every_page_has_a_search_box_in_its_header(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    header = header_of(response.get_data(as_text=True))
    assert 'role="search"' in header and 'action="/search"' in header and 'name="q"' in header
    assert 'data-suggest-url="/api/suggest"' in header  # with type-ahead
    assert '<script src="/static/search.js" defer>' in response.get_data(as_text=True)


def test_results_page_keeps_the_query_in_the_header_box(client):
    header = header_of(page(client, "/search", query_string={"q": "提现多久到账"}))
    assert 'value="提现多久到账"' in header


def test_home_and_console_have_their_own_search_box_only(client):
    assert 'role="search"' not in header_of(page(client, "/"))
    assert 'id="home-q"' in page(client, "/")
    sign_in(client)
    html = page(client, "/agent/")
    assert 'role="search"' not in header_of(html) and 'id="agent-q"' in html


def write_bulk(kb_dir, n: int) -> None:
    for i in range(n):
        (kb_dir / "payments" / f"points-{i:02d}.md").write_text(
            f"---\ntitle: 积分兑换规则 {i:02d}\ncategory: 积分\n---\n积分兑换第 {i} 条规则。\n", "utf-8")


def listed(html: str) -> list[str]:
    return re.findall(r'<li lang="\w+">\s*<h3><a href="(/articles/[^"?]+)', html)


def test_results_are_paged_with_the_total(client, kb_dir, built_index):
    from search.indexer import sync_index

    write_bulk(kb_dir, 23)
    sync_index(kb_dir, built_index)
    first = page(client, "/search", query_string={"q": "积分兑换", "lang": "zh"})
    assert "找到 23 篇文章" in first and "第 1 / 3 页" in first
    assert len(listed(first)) == 10 and 'class="answer-card"' in first
    assert 'rel="next" href="?q=%E7%A7%AF%E5%88%86%E5%85%91%E6%8D%A2&amp;lang=zh&amp;page=2"' in first
    second = page(client, "/search", query_string={"q": "积分兑换", "lang": "zh", "page": 2})
    assert len(listed(second)) == 10 and 'rel="prev"' in second
    assert '<ol class="results" start="11">' in second and 'class="answer-card"' not in second
    third = page(client, "/search", query_string={"q": "积分兑换", "lang": "zh", "page": 3})
    assert len(listed(third)) == 3 and 'rel="next"' not in third
    assert len(set(listed(first) + listed(second) + listed(third))) == 23  # every result once
    assert client.get("/search", query_string={"q": "积分兑换", "page": 4}).status_code == 404
    assert client.get("/search", query_string={"q": "积分兑换", "page": "x"}).status_code == 200


def test_filters_are_kept_when_paging(client, kb_dir, built_index):
    from search.indexer import sync_index

    write_bulk(kb_dir, 12)
    sync_index(kb_dir, built_index)
    html = page(client, "/search", query_string={"q": "积分兑换", "in": "zh", "category": "积分"})
    assert re.search(r'rel="next" href="\?q=[^"]*&amp;in=zh&amp;category=%E7%A7%AF%E5%88%86&amp;page=2"',
                     html)


def breadcrumb_of(html: str) -> str:
    return html.split('<nav class="breadcrumb"')[1].split("</nav>")[0]


def test_breadcrumbs_are_complete(client):
    article = breadcrumb_of(page(client, "/articles/refund-timeline"))
    assert re.findall(r"<li>(.*?)</li>", article, re.S) == [
        '<a href="/">首页</a>',
        '<a href="/categories/%E9%80%80%E6%AC%BE%E4%B8%8E%E4%BA%89%E8%AE%AE">退款与争议</a>',
        '<span aria-current="page">退款多久到账</span>']
    category = breadcrumb_of(page(client, "/categories/退款与争议"))
    assert re.findall(r"<li>(.*?)</li>", category, re.S) == [
        '<a href="/">首页</a>', '<span aria-current="page">退款与争议</span>']
    assert "›" not in article + category  # separators come from CSS, between items only


def test_tags_are_separate_items(client):
    html = page(client, "/articles/refund-timeline")
    tags = html.split('<div class="tags">')[1].split("</div>")[0]
    assert re.findall(r'<li><a class="tag" href="[^"]+">([^<]+)</a></li>', tags) == ["退款", "银行卡"]


def test_phone_numbers_are_tel_links(client):
    html = page(client, "/articles/en/refund", query_string={"lang": "en"})
    body = html.split('<div class="body">')[1].split("</div>")[0]
    assert '<a class="tel" href="tel:4008001234">400-800-1234</a>' in body
    footer = html.split('<footer class="site-footer">')[1]
    assert '<a class="tel" href="tel:4008001234">400-800-1234</a>' in footer
    no_results = page(client, "/search", query_string={"q": "qqqzzzxxx"}).split('class="no-results"')[1]
    assert 'href="tel:4008001234"' in no_results


def test_phone_links_leave_dates_links_and_code_alone():
    from markupsafe import Markup

    from web.phones import phone_links

    assert phone_links("更新于 2026-11-01，订单 20261101123") == "更新于 2026-11-01，订单 20261101123"
    html = Markup('<p>call <a href="tel:4008001234">400-800-1234</a> or <code>400-800-1234</code>'
                  " or 021-12345678</p>")
    assert phone_links(html) == ('<p>call <a href="tel:4008001234">400-800-1234</a> or '
                                 '<code>400-800-1234</code> or '
                                 '<a class="tel" href="tel:02112345678">021-12345678</a></p>')
    assert phone_links("<b>400 800 1234</b>") == (  # text is escaped first
        '&lt;b&gt;<a class="tel" href="tel:4008001234">400 800 1234</a>&lt;/b&gt;')


@pytest.mark.parametrize("lang, message", [("zh", "还没有配置坐席令牌"),
                                           ("en", "No agent tokens are configured")])
def test_sign_in_page_says_when_no_token_is_configured(kb_dir, built_index, lang, message):
    client = make_app(kb_dir, built_index, KB_AGENT_TOKENS="").test_client()
    html = page(client, "/agent/", query_string={"lang": lang})
    assert message in html and "KB_AGENT_TOKENS" in html and 'name="token"' not in html


def test_no_token_is_logged_at_start(kb_dir, built_index, caplog):
    with caplog.at_level("WARNING", logger="web"):
        make_app(kb_dir, built_index, KB_AGENT_TOKENS="")
    assert any("KB_AGENT_TOKENS is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level("WARNING", logger="web"):
        make_app(kb_dir, built_index)
    assert not any("KB_AGENT_TOKENS" in r.getMessage() for r in caplog.records)


def test_language_switch_keeps_the_page(client):
    html = page(client, "/search", query_string={"q": "退款", "page": 1, "in": "zh"})
    switch = html.split('<nav class="lang-switch"')[1].split("</nav>")[0]
    assert 'href="/search?q=%E9%80%80%E6%AC%BE&amp;page=1&amp;in=zh&amp;lang=en"' in switch
    not_found = client.get("/no/such/page").get_data(as_text=True)
    assert 'href="?lang=en"' in not_found.split('<nav class="lang-switch"')[1]
@pytest.mark.parametrize("value", ["²", "٣", "-1", "0", "1.5", "9" * 5000, " 2", "\x00", "1e3", "+1"])
def test_odd_page_numbers_are_not_errors(client, value):
    """Issue 13 item 9: `/categories/Refunds?page=²` was a 500."""
    response = client.get("/categories/退款与争议", query_string={"page": value})
    assert response.status_code in (200, 404)


def test_site_file_names_the_site(client, kb_dir):
    # issue 11: the name, tagline, placeholder and contact come from _site.yml, not the code
    (kb_dir / "_site.yml").write_text("name: {zh: 示例文档中心, en: Example Docs}\ntagline: 一句话介绍\n"
                                      "search_placeholder: 搜点什么\ncontact: 邮件 help@example.com\n"
                                      "featured: [payment-failed]\n", "utf-8")
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "示例文档中心" in html and "一句话介绍" in html and 'placeholder="搜点什么"' in html
    assert "help@example.com" in html and "钱包帮助中心" not in html
    assert 'href="/articles/payment-failed"' in html.split('class="featured"')[1]
    assert "Example Docs" in client.get("/?lang=en").get_data(as_text=True)


def test_a_category_in_two_languages_is_listed_once(client, kb_dir, built_index):
    # issue 11: categories group by name across languages
    from search.indexer import sync_index

    (kb_dir / "payments" / "en-note.md").write_text("---\ntitle: Paying abroad\ncategory: 支付问题\n---\n"
                                                    "Cards work abroad.\n", "utf-8")
    sync_index(kb_dir, built_index)
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert html.count('href="/categories/%E6%94%AF%E4%BB%98%E9%97%AE%E9%A2%98"') == 1

