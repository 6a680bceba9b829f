"""Searching: ranked answers and articles, suggestions, visibility."""


def test_best_answer_is_the_matching_section(search_index):
    results = search_index.search("提现多久到账")
    assert results.articles[0].id == "faq-withdraw"
    best = results.answers[0]
    assert (best.article_id, best.anchor) == ("faq-withdraw", "提现多久到账")
    assert best.url == "/articles/faq-withdraw#" + "%E6%8F%90%E7%8E%B0%E5%A4%9A%E4%B9%85%E5%88%B0%E8%B4%A6"
    # 到账 is segmented 到 / 账 here (no domain dictionary): single characters are not marked.
    assert "<mark>账</mark>" not in best.snippet
    assert "<mark>" in search_index.search("refunds still pending").answers[0].snippet


def test_english_query_with_stemming(search_index):
    results = search_index.search("refunds still pending")
    assert results.articles[0].id == "en/refund"
    assert results.answers[0].anchor == "refund-still-pending"


def test_questions_are_searched_like_the_title(search_index):
    assert search_index.search("手机丢了").articles[0].id == "account-freeze"
    assert search_index.search("花呗还不上").articles[0].id == "huabei-repay-failed"


def test_synonyms_apply_at_query_time(search_index):
    assert search_index.search("退钱").articles[0].id == "refund-timeline"


def test_traditional_query_finds_simplified_article(search_index):
    assert search_index.search("帳戶凍結").articles[0].id == "account-freeze"


def test_internal_articles_only_for_agents(search_index):
    assert search_index.search("升级二线").articles == []
    assert search_index.search("升级二线", internal=True).articles[0].id == "ops/escalation"
    assert all(s["article_id"] != "ops/escalation" for s in search_index.suggest("一"))
    assert search_index.get_article("ops/escalation") is None
    assert search_index.get_article("ops/escalation", internal=True)["visibility"] == "internal"


def test_filters_by_language_and_category(search_index):
    assert {a.lang for a in search_index.search("payment 付款", lang="en").articles} == {"en"}
    hits = search_index.search("付款 退款", category="退款与争议").articles
    assert {a.category for a in hits} == {"退款与争议"}


def test_suggested_are_related_and_not_already_listed(search_index):
    results = search_index.search("为什么付款不成功", limit=1)
    assert results.articles[0].id == "payment-failed"
    assert [s.id for s in results.suggested][:2] == ["refund-timeline", "en-payment-declined"]


def test_did_you_mean_corrects_latin_typos(search_index):
    assert search_index.search("refnd").did_you_mean == "refund"
    assert search_index.search("refund").did_you_mean is None


def test_user_input_is_never_query_syntax(search_index):
    for text in ['title:x AND (', '"unclosed', "*", "-", "NOT OR AND", "a" * 5000, "\x00\x01退款"]:
        search_index.search(text)
    assert search_index.search('"提现" -手续费').articles == []
    assert search_index.search('"提现"').articles[0].id == "faq-withdraw"


def test_suggest_from_one_chinese_character(search_index):
    texts = [s["text"] for s in search_index.suggest("提")]
    assert texts[0] == "提现常见问题"
    assert "Contact us" in [s["text"] for s in search_index.suggest("cont")]


def test_listing_and_article(search_index):
    total, page = search_index.list_articles(limit=3, sort="updated")
    assert total == 8 and len(page) == 3 and page[0]["updated"] >= page[1]["updated"]
    article = search_index.get_article("payment-failed")
    assert [s["anchor"] for s in article["sections"]] == ["余额不足", "网络问题", "商户端问题"]
    assert "html" not in article and article["source"].count("\n## ") == 3  # search returns no HTML


def test_total_counts_every_matching_article(search_index, kb_dir, index_dir):
    for query in ["付款", "退款 提现 账户", "refund payment", '"退款" -银行卡', "退款 -银行卡", "Apple Pay"]:
        everything = search_index.search(query, limit=50)
        assert search_index.search(query, limit=1).total == len(everything.articles) == everything.total
    (kb_dir / "payments/refund-timeline.md").unlink()  # a deletion the index keeps until merged
    from search.indexer import sync_index

    sync_index(kb_dir, index_dir)
    search_index.versions.refresh()  # look at the disk now rather than in half a second
    everything = search_index.search("退款 付款", limit=50)
    assert "refund-timeline" not in [a.id for a in everything.articles]
    assert search_index.search("退款 付款", limit=1).total == len(everything.articles) == everything.total


def test_pieces_of_words_match_joined_and_other_forms(kb_dir, index_dir):
    from search.indexer import sync_index
    from search.searcher import SearchIndex

    (kb_dir / "en/top-up.md").write_text(
        "---\ntitle: Adding money\nquestions: [How do I top up my wallet?, Can I add cash at a shop?]\n---\n"
        "Use a linked card.\n", "utf-8")
    (kb_dir / "en/delivery.md").write_text(
        "---\ntitle: Card delivery\nquestions: [When will my card be delivered?]\n---\nFive working days.\n",
        "utf-8")
    sync_index(kb_dir, index_dir)
    index = SearchIndex(index_dir)
    try:
        # No whole word of these queries is in the index: only pieces of words match.
        assert index.search("wallettopup").articles[0].id == "en/top-up"
        assert index.search("carddelivery").articles[0].id == "en/delivery"
    finally:
        index.close()


def test_shared_characters_match_where_words_differ(kb_dir, index_dir):
    from dataclasses import replace

    from search.config import RankingConfig
    from search.indexer import sync_index
    from search.searcher import SearchIndex

    # FAQ entries (a title, no body): their phrasings are all the evidence they have, so characters
    # count in full. On pages with a body, exact words decide first (issue 10).
    (kb_dir / "delete-card.md").write_text("---\ntitle: 怎么删除绑定的银行卡\n---\n", "utf-8")
    (kb_dir / "add-card.md").write_text("---\ntitle: 银行卡怎么绑定\n---\n", "utf-8")
    sync_index(kb_dir, index_dir)
    index = SearchIndex(index_dir)
    try:
        # 删不掉 shares no word and no character pair with 删除, only the character 删.
        assert index.search("银行卡删不掉").articles[0].id == "delete-card"
        assert "delete-card" not in [a.id for a in index.search("银行卡删不掉 -删除").articles]
        # Characters alone bring an article in, but never once quoted or excluded words are used.
        assert [a.id for a in index.search("绑卡删不掉").articles] == ["delete-card"]
        assert index.search("绑卡删不掉 -转账").articles == []
        index.config = replace(RankingConfig(), chars_weight=0.0)
        assert index.search("银行卡删不掉").articles[0].id != "delete-card"
    finally:
        index.close()


def test_offset_pages_through_the_same_ranking(search_index):
    everything = search_index.search("退款 付款 提现 refund", limit=50)
    assert everything.total >= 4
    second = search_index.search("退款 付款 提现 refund", limit=2, offset=2)
    assert [a.id for a in second.articles] == [a.id for a in everything.articles[2:4]]
    assert second.total == everything.total and second.answers == everything.answers
    assert search_index.search("退款 付款 提现 refund", offset=everything.total).articles == []


def test_pages_of_equally_scored_articles_neither_overlap_nor_skip(kb_dir, index_dir):
    from search.indexer import sync_index
    from search.searcher import SearchIndex

    for n in range(12):
        (kb_dir / "payments" / f"rule-{n:02d}.md").write_text(
            f"---\ntitle: 积分兑换规则 {n:02d}\n---\n积分兑换的第 {n} 条规则。\n", "utf-8")
    (kb_dir / "payments" / "points.md").write_text("---\ntitle: 积分怎么用\n---\n积分可以抵扣现金。\n",
                                                   "utf-8")
    sync_index(kb_dir, index_dir)
    index = SearchIndex(index_dir)
    everything = [a.id for a in index.search("积分兑换", limit=50).articles]
    assert len(everything) == 13 and everything[-1] == "payments/points"
    for size in range(1, 13):
        pages = [[a.id for a in index.search("积分兑换", limit=size, offset=offset).articles]
                 for offset in range(0, 13, size)]
        assert sum(pages, []) == everything, size


def test_equally_scored_articles_keep_their_order_when_one_is_reindexed(kb_dir, index_dir):
    # Equal scores are ordered by article id, not by where the index happened to write each
    # article: an edit writes the article anew at the end, a parallel rebuild in the order its
    # workers finish.
    from search.indexer import sync_index
    from search.searcher import SearchIndex

    def write(n: int, rule: int) -> None:
        (kb_dir / "payments" / f"rule-{n:02d}.md").write_text(
            f"---\ntitle: 积分兑换规则 {n:02d}\n---\n积分兑换的第 {rule} 条规则。\n", "utf-8")

    for n in range(4):
        write(n, n)
    sync_index(kb_dir, index_dir)
    index = SearchIndex(index_dir)
    before = [a.id for a in index.search("积分兑换", limit=10).articles]
    index.close()
    assert before == [f"payments/rule-{n:02d}" for n in range(4)]
    write(0, 9)  # the same words, re-indexed: written after the others
    sync_index(kb_dir, index_dir)
    index = SearchIndex(index_dir)
    assert [a.id for a in index.search("积分兑换", limit=10).articles] == before
    assert [a.id for a in index.search("积分兑换", limit=2, offset=2).articles] == before[2:]
    index.close()
