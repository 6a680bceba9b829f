"""Answer units: headings, FAQ entries, overview and stable anchors."""

from kb.markdown import MAX_HTML_DEPTH, html_text
from kb.sections import markdown_to_text, slugify, split_sections


def test_headings_and_faq_entries_become_units():
    body = ("Intro text.\n\n## Limits\nDaily limit 50,000.\n\n### Fees\n0.1%.\n\n"
            "**1. 提现多久到账？**\n2 小时内。\n**Can I cancel?** Only before it is sent.\n")
    sections = split_sections(body, "Withdrawals")
    assert [(s.heading, s.level) for s in sections] == [
        ("Withdrawals", 1), ("Limits", 2), ("Fees", 3), ("提现多久到账？", 5), ("Can I cancel?", 5)]
    assert [s.text for s in sections] == ["Intro text.", "Daily limit 50,000.", "0.1%.", "2 小时内。",
                                          "Only before it is sent."]
    assert [s.anchor for s in sections] == ["overview", "limits", "fees", "提现多久到账", "can-i-cancel"]


def test_anchor_ids_are_unique_and_stable():
    body = "## Fees\na\n## Fees\nb\n"
    first = [s.anchor for s in split_sections(body, "T")]
    assert first == ["fees", "fees-2"]
    assert [s.anchor for s in split_sections(body, "T")] == first


def test_title_heading_and_code_fences_are_not_units():
    body = "# Title\n\nLead.\n\n```\n## not a heading\n```\n"
    sections = split_sections(body, "Title")
    assert [s.heading for s in sections] == ["Title"]
    assert "## not a heading" in sections[0].text
    assert sections[0].prose == "Lead."  # the text without its code, for snippets


def test_a_section_without_code_has_no_separate_prose():
    assert [s.prose for s in split_sections("Lead.\n\n## Fees\n| a | b |\n|---|---|\n| 1 | 2 |\n", "T")] \
        == [None, None]


def test_bold_line_that_is_no_question_is_no_unit():
    assert [s.level for s in split_sections("**注意：**请保管好密码。\n", "T")] == [1]


def test_markdown_to_text_keeps_words_not_markup():
    text = markdown_to_text("| 方式 | 时间 |\n| --- | --- |\n| 银行卡 | 1–7 天 |\n[link](http://x) **bold**")
    assert text == "方式：时间\n银行卡：1–7 天\nlink bold"


def test_slugify_keeps_chinese_and_words():
    assert slugify("Refund **still** pending?") == "refund-still-pending"
    assert slugify("余额不足（常见）") == "余额不足常见"


def test_repeated_headings_number_past_author_ids():
    body = "## A {#a-2}\nx\n## A\nx\n## A\nx\n## A\nx\n"
    assert [s.anchor for s in split_sections(body, "T")] == ["a-2", "a", "a-3", "a-4"]


def test_deeply_nested_html_is_read_as_text_without_its_excess_tags():
    # 66,000 unclosed <div>s (a 1 MB file) took 18 s to read: the HTML parser walks its open
    # elements at each tag. Past MAX_HTML_DEPTH a tag opens nothing; the text stays, no tag is text.
    lines = html_text("<div>x" * 3000)
    assert "".join(lines) == "x" * 3000 and len(lines) <= MAX_HTML_DEPTH
    assert html_text("<ul><li>a<li>b</ul>" * 100) == ["a", "b"] * 100  # an unclosed <li> closes
