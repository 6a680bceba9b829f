"""Drafts: `draft: true` keeps an article out of everything public; agents see and preview it
with a badge; removing the line publishes it. `kb new` starts every article as a draft (issue 15)."""

from __future__ import annotations

import datetime as dt
import re

from kb.new import DRAFT_LINE, create_article
from search.indexer import sync_index
from tests.conftest import AGENT_TOKEN
from tests.web.test_pages import page, sign_in

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}


def new_draft(kb_dir, built_index):
    """What `kb new` writes, with a body, indexed: a stub on a topic the fixture already has."""
    path = create_article(kb_dir, "提现到账时间说明", category="充值与提现", today=dt.date(2026, 11, 20))
    path.write_text(path.read_text("utf-8").replace("related: []", "related: [faq-withdraw]\ntags: [提现]", 1)
                    .replace("tags: []\n", "") + "提现多久到账？草稿正文：一般 2 小时内到账。\n", "utf-8")
    sync_index(kb_dir, built_index)
    return path


def test_kb_new_writes_a_draft(kb_dir):
    text = create_article(kb_dir, "银行卡解绑失败怎么办").read_text("utf-8")
    assert "\ndraft: true" in text and "visibility: public" in text


def test_a_draft_is_nowhere_public(client, kb_dir, built_index):
    path = new_draft(kb_dir, built_index)
    article_id = "payments/ti-xian-dao-zhang-shi-jian-shuo-ming"
    assert path.stem in article_id
    public = [page(client, url) for url in ("/", "/?lang=en", "/search?q=提现到账时间说明",
                                            "/search?q=提现多久到账", "/categories/充值与提现",
                                            "/articles/faq-withdraw")]
    public += [client.get(url).get_data(as_text=True) for url in (
        "/api/search?q=提现到账时间说明", "/api/suggest?q=提现到账", "/api/articles?limit=200",
        "/api/articles/faq-withdraw", "/search?q=qqqzzzxxx")]
    for html in public:
        assert article_id not in html and "草稿正文" not in html
    assert client.get(f"/articles/{article_id}").status_code == 404
    assert client.get(f"/api/articles/{article_id}").status_code == 404
    assert client.post("/api/feedback", json={"article_id": article_id, "helpful": True}).status_code == 404
    assert re.search(r'充值与提现</a>\s*<span class="count">1 篇</span>',
                     page(client, "/", query_string={"lang": "zh"}))  # not 2


def test_agents_see_a_draft_with_a_badge(client, kb_dir, built_index):
    new_draft(kb_dir, built_index)
    article_id = "payments/ti-xian-dao-zhang-shi-jian-shuo-ming"
    found = client.get("/api/search", query_string={"q": "提现到账时间说明"}, headers=AGENT).get_json()
    assert found["articles"][0]["id"] == article_id and found["articles"][0]["draft"] is True
    assert client.get(f"/api/articles/{article_id}", headers=AGENT).get_json()["draft"] is True
    sign_in(client)
    html = page(client, f"/articles/{article_id}")  # the preview: the page as it will look
    assert '<span class="badge draft">草稿</span>' in html and 'class="draft-notice"' in html
    results = page(client, "/search", query_string={"q": "提现到账时间说明"})
    assert '<span class="badge draft">草稿</span>' in results.split('<ol class="results">')[1]
    assert '<span class="badge draft">' not in page(client, "/articles/faq-withdraw")


def test_removing_the_line_publishes_it(client, kb_dir, built_index):
    path = new_draft(kb_dir, built_index)
    article_id = "payments/ti-xian-dao-zhang-shi-jian-shuo-ming"
    path.write_text(path.read_text("utf-8").replace(DRAFT_LINE, ""), "utf-8")
    sync_index(kb_dir, built_index)
    html = page(client, f"/articles/{article_id}")
    assert "提现到账时间说明" in html and "draft" not in html.split("<main")[1].split("</main>")[0]
    assert article_id in page(client, "/search", query_string={"q": "提现到账时间说明"})


def test_draft_must_be_true_or_false(kb_dir, built_index):
    (kb_dir / "payments" / "bad-draft.md").write_text("---\ntitle: 坏草稿\ndraft: maybe\n---\n正文\n",
                                                      "utf-8")
    report = sync_index(kb_dir, built_index)
    assert [(p.path, p.line) for p in report.problems] == [("payments/bad-draft.md", 3)]
    assert "`draft`: must be true or false" in report.problems[0].message
