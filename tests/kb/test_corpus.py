"""The articles folder: which files are articles, dictionary and synonyms files."""

from kb.corpus import is_article_path, load_corpus, load_lexicon


def test_underscore_and_dot_files_are_not_articles():
    assert is_article_path("payments/refund.md")
    assert not is_article_path("_drafts.md")
    assert not is_article_path("payments/.hidden.md")
    assert not is_article_path("_archive/old.md")
    assert not is_article_path("notes.txt")


def test_dictionary_lines_in_jieba_format(tmp_path):
    (tmp_path / "_dict.txt").write_text("# comment\n花呗 3000 nz\nApple Pay 2000\n余额宝\n微粒贷 nz\n"
                                        "Google Pay\n", "utf-8")
    (tmp_path / "_synonyms.txt").write_text("退款, 退钱，退回\nlonely\n", "utf-8")
    lexicon, problems = load_lexicon(tmp_path)
    assert lexicon.words == [("花呗", 3000, "nz"), ("Apple Pay", 2000, None), ("余额宝", None, None),
                             ("微粒贷", None, "nz"), ("Google Pay", None, None)]
    assert lexicon.synonyms == [["退款", "退钱", "退回"]]
    assert [(p.path, p.line, p.level) for p in problems] == [("_synonyms.txt", 2, "warning")]


def test_corpus_adds_tags_to_the_dictionary(kb_dir):
    corpus = load_corpus(kb_dir)
    words = [w for w, _, _ in corpus.lexicon.words]
    assert words[:4] == ["花呗", "微粒贷", "余额宝", "Apple Pay"]
    assert "余额不足" in words and "支付失败怎么办" not in words  # tags are terms, titles are not
    assert len(corpus.articles) == 9
    # _drafts.md is not read, and never in silence
    assert [(p.path, p.level) for p in corpus.problems] == [("_drafts.md", "warning")]


def test_dictionary_files_are_read_like_articles(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret-word\n", "utf-8")
    root = tmp_path / "articles"
    root.mkdir()
    (root / "_dict.txt").symlink_to(outside)
    (root / "_synonyms.txt").write_bytes(b"a, b\n" * 300_000)  # 1.5 MB
    lexicon, problems = load_lexicon(root)
    assert lexicon.words == [] and lexicon.synonyms == []
    messages = {p.path: p.message for p in problems}
    assert "outside the articles folder" in messages["_dict.txt"]
    assert "1 MB" in messages["_synonyms.txt"]


def test_folder_labels_name_categories(tmp_path):
    # issue 11: Docusaurus _category_.json labels, .pages titles and index.md titles name categories
    label = '{"label": "Getting Started", "position": 1}'
    for folder, extra in (("getting-started", ("_category_.json", label)),
                          ("billing", (".pages", "title: Billing & Invoices\n")),
                          ("faq", ("index.md", "# 常见问题\n\n总览。\n")), ("misc", None)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "page.md").write_text("# Page\n\nText.\n", "utf-8")
        if extra:
            (tmp_path / folder / extra[0]).write_text(extra[1], "utf-8")
    categories = {a.path: a.category for a in load_corpus(tmp_path).articles}
    assert categories["getting-started/page.md"] == "Getting Started"
    assert categories["billing/page.md"] == "Billing & Invoices"
    assert categories["faq/page.md"] == categories["faq/index.md"] == "常见问题"
    assert categories["misc/page.md"] == "misc"


def test_duplicate_ids_are_blamed_on_the_same_file_by_check_and_index(kb_dir, tmp_path):
    # issue 11: kb check blamed the original while the index kept it; both now blame the newcomer
    from kb.check import check_articles
    from search.indexer import id_holders, sync_index

    sync_index(kb_dir, tmp_path / "index")
    (kb_dir / "a-copy.md").write_text("---\ntitle: 抢注\nid: payment-failed\n---\n冒名。\n", "utf-8")
    report = sync_index(kb_dir, tmp_path / "index", rebuild=True)
    blamed_by_index = [p.path for p in report.problems if "duplicate id" in p.message]
    problems = check_articles(kb_dir, holders=id_holders(tmp_path / "index"))
    assert blamed_by_index == [p.path for p in problems if "duplicate id" in p.message] == ["a-copy.md"]
