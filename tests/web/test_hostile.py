"""Hostile input: arbitrary queries never cause a 5xx, ids cannot escape the articles folder,
and no payload in an article reaches a page or the API as live script."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import indexed_copy, make_app

ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300) | st.sampled_from(
    ['"', '"unclosed', "-", "--", '-"x"', "AND OR NOT", "title:x*", "a* ?b [c TO d]", "\x00\x01", "🙂" * 80,
     "退款" * 200, "<script>alert(1)</script>", "%00", "../../etc/passwd"])
HYPOTHESIS = settings(max_examples=150, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


UNLIMITED = "100000 per second"


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    """The fixture knowledge base without a practical rate limit, shared by the property tests."""
    root = indexed_copy(tmp_path_factory.mktemp("hostile"))
    return make_app(root / "articles", root / "index", KB_RATE_LIMIT=UNLIMITED)


@HYPOTHESIS
@given(q=ANY_TEXT, limit=st.one_of(st.none(), st.text(max_size=6), st.integers(-10**9, 10**9).map(str)))
def test_api_search_never_fails(open_app, q, limit):
    params = {"q": q} if limit is None else {"q": q, "limit": limit}
    response = open_app.test_client().get("/api/search", query_string=params)
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 200:
        assert len(body["query"]) <= 200 and not any(ord(c) < 32 for c in body["query"])


@HYPOTHESIS
@given(q=ANY_TEXT)
def test_api_suggest_never_fails(open_app, q):
    response = open_app.test_client().get("/api/suggest", query_string={"q": q})
    assert response.status_code == 200 and isinstance(response.get_json()["suggestions"], list)


@HYPOTHESIS
@given(q=ANY_TEXT, lang=st.sampled_from(["", "zh", "en", "xx"]), category=ANY_TEXT)
def test_search_page_never_fails(open_app, q, lang, category):
    response = open_app.test_client().get("/search", query_string={"q": q, "in": lang, "category": category})
    assert response.status_code == 200


def test_long_query_is_truncated_not_refused(open_app):
    body = open_app.test_client().get("/api/search", query_string={"q": "退款到账 " * 500}).get_json()
    assert len(body["query"]) <= 200 and body["articles"]


@pytest.mark.parametrize("url", [
    "/articles/../../etc/passwd", "/articles/..%2F..%2Fetc%2Fpasswd", "/articles/%2Fetc%2Fpasswd",
    "/articles//etc/passwd", "/articles/payments/..%2F..%2F..%2Fetc/passwd",
    "/articles/%2e%2e/%2e%2e/etc/passwd",
    "/api/articles/../../etc/passwd", "/api/articles/%2Fetc%2Fpasswd", "/api/articles/..%5C..%5Cetc%5Cpasswd",
    "/categories/..%2F..%2Fetc", "/static/..%2F..%2Fkb%2Fconfig.py", "/static/../kb/config.py",
    "/articles/payments%2F..%2Fpayments%2Frefund-timeline", "/articles/C:%5Cwindows%5Cwin.ini",
])
def test_paths_cannot_escape_the_articles_folder(open_app, url):
    response = open_app.test_client().get(url)
    assert response.status_code in (404, 308, 301), url
    assert b"root:" not in response.data and b"KB_ARTICLES" not in response.data


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "/etc/passwd", "a/../b", "a\\b", "./x", "a//b"])
def test_front_matter_ids_cannot_escape(tmp_path, bad_id):
    from kb.articles import ArticleError, parse_article

    with pytest.raises(ArticleError, match="id"):
        parse_article(f"---\ntitle: t\nid: '{bad_id}'\n---\n".encode(), "x.md")


# ---- XSS: payloads in Markdown, raw HTML, URLs and front matter --------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>", "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>", "<object data=\"x.swf\"></object>",
    "<embed src=\"x\">", "<form action=\"https://evil.example\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">s</div>", "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "<base href=\"https://evil.example\">",
    "<a href=\"data:text/html,<script>alert(1)</script>\">d</a>", "<input autofocus onfocus=alert(1)>",
    "\"><script>alert(1)</script>", "'\"><img src=x onerror=alert(1)>", "<scr<script>ipt>alert(1)</script>",
]
MARKDOWN_PAYLOADS = [
    "[click](javascript:alert(1))", "[click](JAVASCRIPT:alert(1))", "[c](vbscript:msgbox(1))",
    "![img](javascript:alert(1))", "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![ok](data:image/png;base64,iVBORw0KGgo=)", "[x](<javascript:alert(1)>)", "<javascript:alert(1)>",
]


def xss_articles(root: Path) -> None:
    folder = root / "xss"
    folder.mkdir()
    for n, payload in enumerate(PAYLOADS + MARKDOWN_PAYLOADS):
        (folder / f"body{n}.md").write_text(
            f"---\ntitle: 退款正文 {n}\ntags: [退款]\n---\n退款说明。\n\n## 段落\n{payload}\n\n"
            f"尾部 tail{n}\n", "utf-8")
    for n, payload in enumerate(PAYLOADS[:8]):
        quoted = payload.replace("'", "''")
        (folder / f"meta{n}.md").write_text(
            f"---\ntitle: '退款 {quoted}'\ncategory: '{quoted}'\ntags: ['{quoted}', 退款]\n"
            f"summary: '{quoted}'\nquestions: ['退款 {quoted}']\n---\n退款 {payload}\n", "utf-8")
    (folder / "safe.md").write_text(
        "# 安全内容\n\n![小图](data:image/png;base64,iVBORw0KGgo=) [外链](https://example.com/a?b=1)\n\n"
        "| 列 | 值 |\n| --- | --- |\n| a | `code` |\n", "utf-8")


class LiveScriptFinder(HTMLParser):
    """Collects anything in a page that a browser could run or that could send the visitor away."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.found.append(f"<script> {attrs}")
        if tag in ("iframe", "object", "embed", "base", "meta", "style", "svg", "math") and not (
                tag == "meta" and set(attributes) <= {"charset", "name", "content"}):
            self.found.append(f"<{tag}>")
        if tag == "form" and not (attributes.get("action") or "").startswith("/"):
            self.found.append(f"<form> {attrs}")
        for name, value in attrs:
            value = "".join((value or "").split()).lower()
            if name.startswith("on") or name in ("style", "formaction", "srcdoc"):
                self.found.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "poster", "background") and (
                    value.startswith(("javascript:", "vbscript:"))
                    or (value.startswith("data:") and not (tag == "img" and value.startswith("data:image/")))
            ):
                self.found.append(f"{tag} {name}={value}")


def live_script(html: str) -> list[str]:
    finder = LiveScriptFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture(scope="module")
def xss_app(tmp_path_factory):
    root = indexed_copy(tmp_path_factory.mktemp("xss"), xss_articles)
    return make_app(root / "articles", root / "index", KB_RATE_LIMIT=UNLIMITED)


def test_no_payload_runs_on_any_page(xss_app):
    client = xss_app.test_client()
    listing = client.get("/api/articles", query_string={"limit": 200}).get_json()["articles"]
    urls = ["/", "/search?q=退款", "/search?q=<script>alert(1)</script>",
            "/search?q=\"><img src=x onerror=1>"]
    urls += [a["url"] for a in listing]
    urls += sorted({"/categories/" + a["category"].replace("/", "%2F") for a in listing})
    checked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        if response.status_code == 200:
            assert live_script(response.get_data(as_text=True)) == [], url
            checked += 1
    assert checked >= 15


def test_no_payload_runs_from_api_html_or_snippets(xss_app):
    client = xss_app.test_client()
    for article in client.get("/api/articles", query_string={"limit": 200}).get_json()["articles"]:
        body = client.get("/api" + article["url"]).get_json()
        assert live_script(body["html"]) == [], article["id"]
    results = client.get("/api/search", query_string={"q": "退款 script img alert", "limit": 50}).get_json()
    for hit in results["articles"] + results["answers"]:
        assert "<" not in hit["snippet"].replace("<mark>", "").replace("</mark>", ""), hit["snippet"]


def test_safe_content_survives_sanitizing(xss_app):
    html = xss_app.test_client().get("/api/articles/xss/safe").get_json()["html"]
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in html and 'alt="小图"' in html
    assert 'href="https://example.com/a?b=1"' in html and "<table>" in html and "<code>code</code>" in html
