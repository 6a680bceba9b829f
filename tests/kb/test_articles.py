"""Loading articles: front matter, defaults, and errors that name the line."""

import pytest

from kb.articles import detect_lang, front_matter_id, load_article, parse_article
from kb.errors import ArticleError


def parse(text: str, relpath: str = "payments/sample.md"):
    return parse_article(text.encode("utf-8"), relpath, default_updated="2026-01-01")


def test_front_matter_fields_are_read():
    article = parse("---\ntitle: 支付失败\nid: pay-fail\ntags: [支付, 花呗]\nquestions:\n  - 为什么付款失败\n"
                    "related: [x]\nvisibility: internal\nupdated: 2026-11-01\n---\n正文。\n")
    assert (article.id, article.title, article.lang, article.visibility) == ("pay-fail", "支付失败", "zh",
                                                                             "internal")
    assert article.tags == ("支付", "花呗") and article.questions == ("为什么付款失败",)
    assert article.updated == "2026-11-01" and article.related == ("x",)


def test_defaults_come_from_path_and_text():
    article = parse("# Card refunds\n\nRefunds take 1-7 business days.\n", "en/refunds/cards.md")
    assert article.id == "en/refunds/cards"
    assert article.title == "Card refunds"
    assert article.category == "en"
    assert article.lang == "en"
    assert article.summary == "Refunds take 1-7 business days."
    assert article.updated == "2026-01-01"


def test_bom_and_crlf_are_accepted():
    data = "\ufeff---\r\ntitle: 退款\r\n---\r\n## 到账\r\n即时\r\n".encode()
    article = parse_article(data, "refund.md")
    assert article.title == "退款"
    assert [s.heading for s in article.sections] == ["到账"]


def test_title_only_stub_is_valid():
    article = parse("---\ntitle: 花呗还款失败\nquestions: [花呗还不上]\n---\n")
    assert article.title == "花呗还款失败" and article.sections == ()


@pytest.mark.parametrize("text, line, words", [
    ("---\ntitle: ok\ntags: [a, b\n---\nbody\n", 3, "invalid YAML"),
    ("---\ntitle: ok\nvisibility: secret\n---\n", 3, "visibility"),
    ("---\ntitle: ok\nlang: fr\n---\n", 3, "lang"),
    ("---\ntitle: ok\nupdated: yesterday\n---\n", 3, "date"),
    ("", 1, "empty file"),
    ("---\ntitle: ok\nid: ../../etc/passwd\n---\n", 3, "not a valid id"),
    ("---\ntitle: never closed\n", 1, "never closed"),
])
def test_errors_name_the_line(text, line, words):
    with pytest.raises(ArticleError) as caught:
        parse(text)
    assert caught.value.problem.line == line
    assert words in caught.value.problem.message
    assert caught.value.problem.format().startswith(f"payments/sample.md:{line}")


def test_non_utf8_and_binary_files_are_refused_with_a_reason():
    with pytest.raises(ArticleError, match="not UTF-8") as caught:
        parse_article("---\ntitle: caf\xe9\n---\nna\xefve\n".encode("latin-1"), "latin1.md")
    assert (caught.value.problem.line, caught.value.problem.col) == (2, 11)
    with pytest.raises(ArticleError, match="binary"):
        parse_article(b"\x89PNG\r\n\x00\x00", "image.md")


def test_chinese_files_saved_as_gbk_are_read():
    # Chinese Windows and old help centers save GBK (GB18030 is its superset): read, not refused.
    source = ("---\ntitle: 退款多久到账\ntags: [退款]\n---\n"
              "## 到账时间\r\n\r\n余额“即时”到账，银行卡 1—3 天。\n")
    article = parse_article(source.encode("gbk"), "gbk.md")
    assert (article.title, article.encoding) == ("退款多久到账", "gb18030")
    assert article.sections[-1].heading == "到账时间" and "银行卡 1—3 天" in article.sections[-1].text
    assert parse_article(source.encode("utf-8"), "utf8.md").encoding == "utf-8"


def test_traditional_chinese_files_saved_as_big5_are_read():
    # Each of GB18030 and Big5 decodes the other's bytes as Chinese characters: the one whose
    # characters are common Chinese is the file's (read as GB18030 this was 癶蹿姐…).
    source = ("---\ntitle: 退款多久到賬\n---\n"
              "## 到賬時間\n\n錢包餘額的退款即時到賬，銀行卡需要一到三個工作天。\n")
    article = parse_article(source.encode("big5"), "big5.md")
    assert (article.title, article.encoding) == ("退款多久到賬", "cp950")
    assert article.sections[-1].text == "錢包餘額的退款即時到賬，銀行卡需要一到三個工作天。"
    simplified = "---\ntitle: 退款多久到账\n---\n钱包余额的退款即时到账，银行卡需要一到三个工作日。\n"
    assert parse_article(simplified.encode("gbk"), "gbk.md").encoding == "gb18030"
    with pytest.raises(ArticleError, match="not UTF-8"):  # too little Chinese to tell
        parse_article("# 退款\n".encode("gbk"), "tiny.md")


def test_utf16_files_with_a_byte_order_mark_are_read():
    # Windows' "Unicode" (PowerShell 5's `>`): it was refused as a binary file (it holds NUL bytes).
    source = "---\r\ntitle: Card declined\r\nid: cards/declined\r\n---\r\nAsk your bank.\r\n"
    for codec in ("utf-16", "utf-16-be"):
        data = source.encode(codec) if codec == "utf-16" else b"\xfe\xff" + source.encode(codec)
        article = parse_article(data, "declined.md")
        assert (article.id, article.title, article.encoding) == ("cards/declined", "Card declined", "utf-16")
        assert article.body == "Ask your bank.\n"
        assert front_matter_id(data, "declined.md") == "cards/declined"
    with pytest.raises(ArticleError, match="UTF-16"):
        parse_article(b"\xff\xfe#\x00 \x00\x00\xd8", "odd.md")  # a lone surrogate


def test_utf8_with_a_bad_byte_is_not_read_as_gbk():
    # UTF-8 Chinese also decodes as GB18030 (安全 → 瀹夊叏): a UTF-8 file with a pasted
    # Windows-1252 é must stay an error, not become a page of nonsense.
    broken = "# 文档\n\n安全\n".encode() + b"Caf\xe9t\n"
    assert broken.decode("gb18030") == "# 鏂囨。\n\n瀹夊叏\nCaf閠\n"  # it would decode…
    with pytest.raises(ArticleError, match=r"not UTF-8 \(byte 0xe9\)") as caught:
        parse_article(broken, "broken.md")  # …but is refused, naming the byte
    assert (caught.value.problem.line, caught.value.problem.col) == (4, 4)


def test_oversized_file_is_refused(tmp_path):
    big = tmp_path / "big.md"
    big.write_bytes(b"# big\n" + b"x" * 1_100_000)
    with pytest.raises(ArticleError, match="limited to"):
        load_article(big, tmp_path)


def test_symlink_outside_the_folder_is_never_read(tmp_path):
    (tmp_path / "link.md").symlink_to("/etc/passwd")
    with pytest.raises(ArticleError, match="outside"):
        load_article(tmp_path / "link.md", tmp_path)


def test_language_detection():
    assert detect_lang("花呗还款失败怎么办 Apple Pay") == "zh"
    assert detect_lang("Why was my payment declined? 花呗") == "en"


def test_mdx_summary_is_prose_not_an_import():
    # issue 11: `import DocsHome from '@site/…'` was a page's summary
    article = parse_article(b"import DocsHome from '@site/src/components/DocsHome';\n\n<DocsHome />\n\n"
                            b"# Welcome\n\nThe help center for merchants.\n", "intro.mdx")
    assert article.id == "intro" and article.title == "Welcome"
    assert article.summary == "The help center for merchants."


def test_summary_is_the_pages_own_prose_not_a_components_label():
    """The Vue guide opens 4 pages with a video link component; its label was their summary."""
    article = parse_article(
        b'# Component v-model\n\n<ScrimbaLink href="https://scrimba.com/x" title="Lesson" type="scrimba">\n'
        b"  Watch an interactive video lesson on Scrimba\n</ScrimbaLink>\n\n## Basic Usage\n\n"
        b"v-model can be used on a component to implement a two-way binding.\n", "v-model.md")
    assert article.summary == "v-model can be used on a component to implement a two-way binding."
    # Its label is still the page's text, and a page holding nothing else keeps it as its summary.
    assert "Watch an interactive video lesson" in article.body
    only = parse_article(b"# Tabs\n\n<Tabs>\n<TabItem value=\"npm\">\n\nInstall it with npm.\n\n"
                         b"</TabItem>\n</Tabs>\n", "tabs.mdx")
    assert only.summary == "Install it with npm."


def test_headings_are_never_empty_and_never_the_title_again():
    # issue 11: a heading that is only a code span came out empty, and the table of contents
    # repeated the page title
    article = parse_article(b"# Transitions {#transitions}\n\n## `<Transition>` {#transition}\n\nx\n\n"
                            b"## `<TransitionGroup>`\n\ny\n", "t.md")
    assert [(s.anchor, s.heading) for s in article.sections] == [
        ("transition", "<Transition>"), ("transitiongroup", "<TransitionGroup>")]


def test_language_is_detected_from_prose_not_code():
    code = "const value = computeSomethingLong()\n" * 30
    body = "# 安装\n\n使用下面的命令安装。\n\n```js\n" + code + "```\n"
    assert parse_article(body.encode(), "install.md").lang == "zh"


def test_language_is_detected_from_the_whole_page_not_its_last_section():
    body = ("---\ntitle: Wallet guide\n---\n钱包可以付款、转账和提现，绑定银行卡后即可使用。\n\n"
            "## 常见问题\n付款失败时请先检查余额。\n\n## Links\nSee the developer reference.\n")
    assert parse_article(body.encode(), "guide.md").lang == "zh"


def test_the_overview_is_headed_by_the_title_from_the_file_name():
    article = parse_article(b"Copyright notice.\n", "LICENSE.md")
    assert article.title == "LICENSE" and article.sections[0].heading == "LICENSE"


def test_front_matter_id_is_the_id_parse_article_gives():
    """The indexer predicts duplicate ids from the front matter alone, parsing it only where
    something could be an `id` key: what it predicts is the id the parsed article has."""
    from kb.articles import front_matter_id

    cases = ["---\nid: refunds/late\ntitle: Late refund\n---\nBody.\n",
             '---\n"id" : quoted\n---\nBody.\n',
             "---\n{title: Flow, id: flow-style}\n---\nBody.\n",
             "---\ntitle: 'Android: install the app'\nquestions:\n  - 'Where did: it go?'\n---\nValid: yes\n",
             "---\ntitle: 退款\n---\n中id: 不是键\n",
             "# No front matter\n\nid: in the body is text\n"]
    for n, text in enumerate(cases):
        relpath = f"folder/case-{n}.md"
        assert front_matter_id(text.encode(), relpath) == parse_article(text.encode(), relpath).id, text
