"""One language at a time: listings and searches prefer the interface language; translations
point to each other (issue 15)."""

from __future__ import annotations

import re

from search.indexer import sync_index
from tests.conftest import AGENT_TOKEN
from tests.web.test_pages import page


def results_of(html: str) -> list[tuple[str, str]]:
    """(language, article path) of every listed result, in order."""
    return re.findall(r'<li lang="(\w+)">\s*<h3><a href="(/articles/[^"?]+)', html)


def card_target(card: str) -> str:
    """Where the answer card's link leads: path and anchor, without the click-counting query."""
    path, _, anchor = re.search(r'href="([^"]+)"', card).group(1).partition("#")
    return path.split("?")[0] + "#" + anchor


def test_zh_home_keeps_english_categories_apart(client):
    html = page(client, "/", query_string={"lang": "zh"})
    main_list = html.split('<ul class="categories">')[1].split("</ul>")[0]
    assert "退款与争议" in main_list and "Contact us" not in main_list and "Payments" not in main_list
    folded = html.split('<details class="other-lang">')[1].split("</details>")[0]
    assert "英文文章分类" in folded and "Contact us" in folded and "Payments" in folded


def test_en_home_keeps_chinese_categories_apart(client):
    html = page(client, "/", query_string={"lang": "en"})
    main_list = html.split('<ul class="categories">')[1].split("</ul>")[0]
    assert "Contact us" in main_list and "退款与争议" not in main_list
    assert "退款与争议" in html.split('<details class="other-lang">')[1]


def test_zh_interface_answers_from_chinese_articles_first(client):
    # Before issue 15 the English article and its answer card came first for a mixed query.
    html = page(client, "/search", query_string={"q": "退款 refund", "lang": "zh"})
    card = html.split('class="answer-card"')[1].split("</section>")[0]
    assert card_target(card).startswith("/articles/refund-timeline#") and "/articles/en/refund" not in card
    assert results_of(html) == [("zh", "/articles/refund-timeline"), ("en", "/articles/en/refund")]
    # The other language comes after, under its own heading.
    assert html.index("/articles/refund-timeline?") < html.index('<h3 class="other-lang">英文文章</h3>') \
        < html.index("/articles/en/refund?")


def test_en_interface_answers_from_english_articles_first(client):
    html = page(client, "/search", query_string={"q": "退款 refund", "lang": "en"})
    card = html.split('class="answer-card"')[1].split("</section>")[0]
    assert card_target(card).startswith("/articles/en/refund#")
    assert results_of(html) == [("en", "/articles/en/refund"), ("zh", "/articles/refund-timeline")]
    assert "Articles in Chinese" in html


def test_the_other_language_still_answers_when_it_alone_matches(client):
    html = page(client, "/search", query_string={"q": "refund still pending", "lang": "zh"})
    card = html.split('class="answer-card"')[1].split("</section>")[0]
    assert card_target(card) == "/articles/en/refund#refund-still-pending" and "英文" in card  # labelled


def test_language_filter_shows_one_language_only(client):
    html = page(client, "/search", query_string={"q": "退款 refund", "lang": "zh", "in": "en"})
    assert results_of(html) == [("en", "/articles/en/refund")] and 'class="other-lang"' not in html
    assert '<option value="en" selected>仅英文</option>' in html
    default = page(client, "/search", query_string={"q": "退款", "lang": "zh"})
    assert '<option value="">中文优先</option>' in default


def test_api_search_can_prefer_a_language(client):
    mixed = client.get("/api/search", query_string={"q": "退款 refund"}).get_json()
    # One ranking over both languages: each article holds half of the question.
    assert {a["id"] for a in mixed["articles"][:2]} == {"en/refund", "refund-timeline"}
    preferred = client.get("/api/search", query_string={"q": "退款 refund", "prefer": "zh"}).get_json()
    assert [a["id"] for a in preferred["articles"]] == ["refund-timeline", "en/refund"]
    assert preferred["answers"][0]["article_id"] == "refund-timeline" and preferred["total"] == 2
    assert client.get("/api/search", query_string={"q": "x", "prefer": "fr"}).status_code == 400


def write_pair(kb_dir, zh_front: str = "", en_front: str = "") -> None:
    (kb_dir / "payments" / "points.md").write_text(
        f"---\ntitle: 积分怎么用\nid: points\nlang: zh\n{zh_front}---\n积分可以抵扣现金。\n", "utf-8")
    (kb_dir / "en" / "points.md").write_text(
        f"---\ntitle: Using your points\nid: en/points\nlang: en\n{en_front}---\nPoints pay for things.\n",
        "utf-8")


def switch_of(html: str) -> str:
    return html.split('<nav class="versions"')[1].split("</nav>")[0]


def test_translations_with_the_same_id_root_link_both_ways(client, kb_dir, built_index):
    write_pair(kb_dir)
    sync_index(kb_dir, built_index)
    zh = page(client, "/articles/points", query_string={"lang": "zh"})
    assert 'href="/articles/en/points?lang=en"' in switch_of(zh) and "阅读英文版" in switch_of(zh)
    assert '<link rel="alternate" hreflang="en" href="/articles/en/points">' in zh
    # The header's language switch opens the translation, in the other interface language.
    assert re.search(r'<nav class="lang-switch"[^>]*>\s*<a href="/articles/en/points\?lang=en"', zh)
    en = page(client, "/articles/en/points", query_string={"lang": "en"})
    assert 'href="/articles/points?lang=zh"' in switch_of(en) and "Read in Chinese" in switch_of(en)
    api = client.get("/api/articles/points").get_json()
    assert api["translations"] == [{"id": "en/points", "lang": "en", "title": "Using your points",
                                    "url": "/articles/en/points"}]


def test_translations_listed_in_front_matter(client, kb_dir, built_index):
    (kb_dir / "en" / "refund.md").write_text(
        "---\ntranslations: [refund-timeline]\n---\n# Where is my refund?\n\nIt comes back.\n", "utf-8")
    path = kb_dir / "payments" / "refund-timeline.md"
    path.write_text(path.read_text("utf-8").replace("\ntags:", "\ntranslations: [en/refund]\ntags:", 1),
                    "utf-8")
    sync_index(kb_dir, built_index)
    assert 'href="/articles/en/refund?lang=en"' in switch_of(page(client, "/articles/refund-timeline"))
    assert 'href="/articles/refund-timeline?lang=zh"' in switch_of(page(client, "/articles/en/refund"))


def test_no_switch_without_a_translation_and_never_to_hidden_articles(client, kb_dir, built_index):
    write_pair(kb_dir, en_front="visibility: internal\n")
    sync_index(kb_dir, built_index)
    html = page(client, "/articles/points")
    assert 'class="versions"' not in html and "/articles/en/points" not in html
    assert 'class="versions"' not in page(client, "/articles/faq-withdraw")
    agent = client.get("/api/articles/points", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}).get_json()
    assert [t["id"] for t in agent["translations"]] == ["en/points"]


def test_api_search_pages_with_offset(client):
    everything = client.get("/api/search", query_string={"q": "退款 付款 refund", "prefer": "zh"}).get_json()
    second = client.get("/api/search", query_string={"q": "退款 付款 refund", "prefer": "zh", "limit": 2,
                                                     "offset": 2}).get_json()
    assert [a["id"] for a in second["articles"]] == [a["id"] for a in everything["articles"][2:4]]
    assert second["total"] == everything["total"]
    assert client.get("/api/search", query_string={"q": "x", "offset": "two"}).status_code == 400


def test_one_sided_translations_link_both_ways(client, kb_dir, built_index):
    # issue 11: `translations:` in one file is enough; docs folders like zh-cn/… ↔ en/… pair up too
    from search.indexer import sync_index

    (kb_dir / "a-zh.md").write_text("---\ntitle: 积分规则\ntranslations: [b-english]\n---\n积分。\n", "utf-8")
    (kb_dir / "b-english.md").write_text("---\ntitle: Points rules\n---\nPoints.\n", "utf-8")
    (kb_dir / "zh-cn").mkdir()
    (kb_dir / "zh-cn" / "guide.md").write_text("# 指南\n\n中文指南。\n", "utf-8")
    (kb_dir / "en" / "guide.md").write_text("# Guide\n\nThe guide.\n", "utf-8")
    sync_index(kb_dir, built_index)
    english = client.get("/api/articles/b-english").get_json()
    assert [t["id"] for t in english["translations"]] == ["a-zh"]
    chinese = client.get("/api/articles/zh-cn/guide").get_json()
    assert [t["id"] for t in chinese["translations"]] == ["en/guide"]
