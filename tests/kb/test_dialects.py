"""One small page per dialect feature (tests/fixtures/dialects): VitePress, Docusaurus/MDX,
MkDocs, Obsidian, GitHub. Each assertion is a bug issue 11 lists."""

from pathlib import Path

import pytest

from kb.articles import parse_article
from kb.check import check_articles
from kb.corpus import load_corpus

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "dialects"


@pytest.fixture(scope="module")
def articles():
    corpus = load_corpus(ROOT)
    assert [p.level for p in corpus.problems] == ["warning"]  # only _partial.md, said out loud
    return {a.path: a for a in corpus.articles}


def test_mdx_pages_are_articles_and_check_is_clean(articles):
    assert "docusaurus/tabs.mdx" in articles
    assert [p.format() for p in check_articles(ROOT)] == [
        "_partial.md:0: warning: not an article: '_partial.md' starts with '_', which marks partials "
        "and drafts; rename it to publish the page"]


def test_titles_h1_after_script_and_style_then_file_name(articles):
    assert articles["vitepress/components.md"].title == "组件基础"
    assert articles["docusaurus/getting-started.md"].title == "Getting started"
    assert articles["obsidian/callouts.md"].title == "Callouts"


def test_metadata_of_other_tools_is_mapped(articles):
    tabs = articles["docusaurus/tabs.mdx"]
    assert tabs.summary == "Docusaurus 的标签页写法。" and tabs.unknown_keys == ()
    assert tabs.tags == ("标签页", "tabs") and tabs.slug == "tabs-guide"
    assert articles["obsidian/wiki.md"].questions == ("双链笔记", "wiki 链接")
    assert articles["mkdocs/admonitions.md"].unknown_keys == ()


def test_categories_from_folder_labels(articles):
    assert articles["docusaurus/tabs.mdx"].category == "Docusaurus 指南"
    assert articles["mkdocs/admonitions.md"].category == "MkDocs 手册"
    assert articles["obsidian/wiki.md"].category == "obsidian"


def test_author_ids_code_span_headings_and_escapes(articles):
    page = articles["vitepress/components.md"]
    assert [(s.anchor, s.heading) for s in page.sections] == [
        ("overview", "组件基础"), ("transition", "<Transition>"), ("passing-props", "2. 传递 Props")]
    assert "components-basics" in page.anchors
    alerts = articles["github/alerts.md"]
    assert [s.heading for s in alerts.sections][1] == "2. OP Card 使用"
    assert "blacklist. 或使用 &amp; 转义" in alerts.sections[1].text


def test_section_text_is_plain(articles):
    page = articles["vitepress/components.md"]
    overview = page.sections[0].text
    assert "这是一个提示容器，里面的 Markdown 也会被解析。" in overview and ":::" not in overview
    assert "提示" in overview.split("\n")  # a container's own title is text
    assert "const count" not in overview  # the page's own <script setup> is no text
    assert page.sections[2].text.split("\n") == ["方式：说明", "静态：直接写字符串", "动态：使用 v-bind"]
    assert "const handlers: Record<string, Fn> = {}" in page.sections[1].text  # code stays searchable
    assert "```" not in page.sections[1].text and "~~~" not in page.sections[1].text


def test_mdx_imports_and_components_never_text(articles):
    tabs = articles["docusaurus/tabs.mdx"]
    text = "\n".join(s.text for s in tabs.sections)
    assert "在 macOS 上按 Command 键。" in text and "在 Windows 上按 Ctrl 键。" in text
    assert "import" not in text and "Tabs" not in text and "DocsHome" not in text
    assert "小贴士" in text and ":::" not in text


def test_obsidian_and_github_callouts_and_wikilinks(articles):
    wiki = "\n".join(s.text for s in articles["obsidian/wiki.md"].sections)
    assert "第二节的说明" in wiki and "[[" not in wiki and "[!" not in wiki
    assert "Obsidian 提示" in wiki and "提示的正文。" in wiki and "GitHub 风格的提示。" in wiki


def test_markdown_inside_html_blocks(articles):
    alerts = articles["github/alerts.md"]
    assert [s.heading for s in alerts.sections][-1] == "在 HTML 块里的标题"
    assert alerts.sections[-1].text == "HTML 块里的 Markdown 链接 也会被解析。"
    assert alerts.sections[-1].markdown.startswith("HTML 块里的 [Markdown 链接]")


def test_tabs_hints_shortcodes_footnotes_task_and_definition_lists(articles):
    """Other sites' markup is read, not shown as text: MkDocs content tabs (`=== "Tab"`, body
    indented — once an indented code block), GitBook hints and tabs, Hugo hint/notice shortcodes,
    footnotes, task lists and definition lists."""
    tabs = articles["mkdocs/tabs.md"].sections[0].text.split("\n")
    assert tabs[:6] == ["安装方式见下面的标签页。", "macOS", "用 Homebrew 安装：", "brew install kb",
                        "Windows", "从官网下载安装包。"]
    assert "余额" in tabs and "钱包里可以直接使用的钱。" in tabs
    notes = articles["mkdocs/tabs.md"].sections[1].text  # footnotes: at the page's end
    assert "标签页是 pymdownx.tabbed 的写法。" in notes
    assert 'if (a === "x") {}' in tabs  # inside a fence: as written
    assert not [line for line in tabs if "===" in line and "if" not in line and "//" not in line]
    assert "[^" not in "\n".join(tabs) and ":   " not in "\n".join(tabs)
    gitbook = articles["gitbook/hints.md"].sections[0].text
    assert gitbook.split("\n") == ["提现前请确认银行卡信息。", "安卓", "打开设置页。", "iOS",
                                   "打开个人中心。"]
    hugo = articles["hugo/shortcodes.md"].sections[0].text
    assert hugo.split("\n") == ["Refunds reach the card in 3 days.", "Good to know",
                                "You can cancel a transfer within 30 minutes."]
    tasks = articles["github/tasks.md"].sections[0].text.split("\n")
    assert tasks[:2] == ["Bind a bank card", "Set a payment password"]
    assert tasks[-1] == "{{ count }}" and "a === b" in tasks[-2]  # a template's braces are not shortcodes


def test_hostile_lines_read_in_linear_time():
    """Lines the line rules once backtracked on: tags without an end (`{%%}{%%}…x`: 25 took 2.5 s,
    each more doubled it), `import` and 5,000 spaces (40 s), `<A` and 20,000 spaces (4 s)."""
    import time

    from kb.sections import parse_body

    started = time.perf_counter()
    lines = ("{% %}" * 30 + "x", "{{<>}}" * 30 + "x", "{% %}" * 20000 + "x", "{{% notice tip " + '"' * 20000,
             "import" + " " * 5000 + "x", "<A" + " " * 20000 + "x", "<A" + " " * 20000, "a%%`" * 20000,
             "{:" + " " * 20000, "<div " + "<a " * 20000 + "x")
    texts = ["\n".join(s.text for s in parse_body(f"# t\n\n{line}\n").sections) for line in lines]
    assert [text[:5] for text in texts] == ["{% %}", "{{<>}", "{% %}", "{{% n", "impor", "", "", "aa%%a",
                                            "{:", ""]
    assert time.perf_counter() - started < 2.0  # linear: ~0.1 s


def test_check_names_template_tags_left_in_the_text(tmp_path):
    """A line of only tags is read (above); a tag inside a line is shown as written, and `kb check`
    says where — not for code, fences or Vue's `{{ }}`."""
    (tmp_path / "a.md").write_text(
        '---\ntitle: t\n---\n\nSee {{< ref "x.md" >}} and {% include note.html %}.\n\n'
        "`{% raw %}` in code, {{ count }} in Vue.\n\n```\n{{< in fence >}}\n```\n\n"
        'line one\nline two {{% param "x" %}}\n', "utf-8")
    assert [(p.line, p.level, p.message.split("`")[1]) for p in check_articles(tmp_path)] == [
        (5, "warning", '{{< ref "x.md" >}}'), (5, "warning", "{% include note.html %}"),
        (14, "warning", '{{% param "x" %}}')]


def test_obsidian_comments_and_toml_front_matter(articles):
    """Obsidian hides `%%…%%` (inline or over lines); Hugo and Zola write front matter in TOML
    between `+++` lines — once shown as text, the title taken from the file name."""
    wiki = "\n".join(s.text for s in articles["obsidian/wiki.md"].sections)
    assert "这句话里有一条注释。" in wiki and "只给作者看" not in wiki and "整段注释" not in wiki
    assert "%%" not in wiki.replace("50%%", "") and "50%%" in wiki  # in code: as written
    toml = articles["hugo/toml.md"]
    assert (toml.title, toml.summary, toml.updated, toml.tags) == (
        "退款时效（TOML）", "Hugo 的 TOML 头信息。", "2025-03-04", ("退款",))
    assert toml.unknown_keys == () and toml.sections[0].text == "退款一般 1-3 个工作日到账。"
    assert toml.sections[0].line == 11  # the body's first line, as under YAML


@pytest.mark.parametrize("source, problem", [
    ('+++\ntitle = "x"\nbody', "x.md:1: error: front matter opened with '+++' is never closed"),
    ('+++\ntitle = "a"\ntags = [1,\n+++\nbody', "x.md:3: error: invalid TOML in front matter: Invalid value"),
    ('+++\ntitle = "a"\ntitle = "b"\n+++\n', "x.md:3: error: invalid TOML in front matter: "
                                               "Cannot overwrite a value"),
])
def test_toml_front_matter_errors_name_the_line(source, problem):
    from kb.articles import parse_article
    from kb.errors import ArticleError

    with pytest.raises(ArticleError) as raised:
        parse_article(source.encode(), "x.md")
    assert str(raised.value) == problem


def test_a_toml_id_is_the_id_duplicates_are_decided_by():
    from kb.articles import front_matter_id, parse_article

    data = b'+++\nid = "refunds"\ntitle = "x"\n+++\nbody'
    assert front_matter_id(data, "a/b.md") == parse_article(data, "a/b.md").id == "refunds"


def test_jekyll_attribute_lines(articles):
    """Just the Docs (Jekyll, kramdown): `{: .note }` over a paragraph is a callout, `{: .x-title }`
    titles the quote below, `{: #id }` under a heading is its id, `* TOC` / `{:toc}` and styling
    lines go — all once shown as text."""
    page = articles["jekyll/just-the-docs.md"]
    assert [(s.anchor, s.heading) for s in page.sections] == [("overview", "提现说明"),
                                                              ("arrival", "到账时间")]
    assert page.sections[0].text.split("\n") == [
        "提现前请先完成实名认证。认证一般几分钟内完成。", "注意安全", "不要把验证码告诉任何人。"]
    assert page.sections[1].text == "工作日 1-3 天到账。"


def test_anchors_of_other_tools_and_html_blocks_of_unclosed_tags(articles):
    """`<a name="opts">` is an anchor (check once warned `#opts`: no such section); a link written
    with another tool's slug of a heading finds it (check is clean: see the first test); an HTML
    block of unclosed tags is read in linear time (60 KB took 37 s) and its text kept."""
    page = articles["github/anchors.md"]
    assert "opts" in page.anchors and "child-processspawncommand-args" in page.anchors
    assert any(s.text.endswith("\nunclosed tags in a block") for s in page.sections)


def test_mdx_callout_and_tab_components_and_nested_containers(articles):
    """Docusaurus `<Admonition>` / `<TabItem label>`, Mintlify `<Note>`, Nextra `<Callout>`: callouts
    and titled tabs (their tags were dropped, the tab's label lost); a hint inside a GitBook tab once
    closed the tab too (`:::` shown, the rest outside it). A callout's title is no summary."""
    page = articles["docusaurus/components.mdx"]
    assert page.sections[0].text.split("\n") == [
        "先看这里", "Docusaurus 的 Admonition 组件。", "macOS", "按 Command 键。", "Mintlify 的 Note 组件。",
        "win", "按 Ctrl 键。", "Nextra 的 Callout 组件。"]
    assert page.summary == "Docusaurus 的 Admonition 组件。"
    nested = articles["gitbook/nested.md"].sections[0].text
    assert nested.split("\n") == ["安卓", "第一步。", "小心操作。", "提示之后的内容仍在标签页里。"]


def test_a_page_written_in_html_has_its_headings_sections_and_table_rows(articles):
    # An old help center's page, exported as HTML: it was one section holding every line, the
    # table's cells a line each, and its title came from the file name.
    page = articles["html/help-center.md"]
    assert page.title == "退款多久到账"
    assert [(s.heading, s.anchor, s.level) for s in page.sections] == [
        ("退款多久到账", "overview", 1), ("各付款方式的到账时间", "times", 2),
        ("退款收手续费吗？", "退款收手续费吗", 2), ("常见问题", "常见问题", 2),
        # FAQ questions written in HTML (a paragraph bold as a whole, ending with ？) are units.
        ("退款能取消吗？", "退款能取消吗", 5), ("退款到哪里了？", "退款到哪里了", 5),
        ("退款失败怎么办？", "退款失败怎么办", 5)]
    assert page.sections[-2].text == "原路退回到付款账户。注意：请保留凭证。"
    # The answer in the question's own paragraph, after a line break: the unit's text and card.
    answer = "请联系客服，我们会在一个工作日内处理。"
    assert (page.sections[-1].text, page.sections[-1].markdown) == (answer, answer)
    assert page.sections[1].text == "付款方式：到账时间\n钱包余额：即时\n银行卡：1–3 个工作日"
    # A heading inside an element (a demo's box) belongs to it, not to the page.
    assert page.sections[2].text == "退款不收取任何手续费。\n示例\n演示框里的标题属于演示，不是页面的小节。"
    assert page.summary == "退款会原路返回，到账时间取决于付款方式。"


def test_a_help_center_page_in_one_line_of_html_is_split_too():
    html = ('<h1>退款多久到账</h1><p>退款会原路返回。</p><h2 id="times">到账时间</h2><table><tr>'
            '<td>银行卡</td><td>1–3 天</td></tr></table><h2>手续费</h2><p>不收取。</p>\n')
    page = parse_article(html.encode(), "minified.md")
    assert page.title == "退款多久到账" and page.summary == "退款会原路返回。"
    assert [(s.heading, s.text, s.markdown) for s in page.sections] == [
        ("退款多久到账", "退款会原路返回。", "<p>退款会原路返回。</p>"),
        ("到账时间", "银行卡：1–3 天", "<table><tr><td>银行卡</td><td>1–3 天</td></tr></table>"),
        ("手续费", "不收取。", "<p>不收取。</p>")]


def test_a_div_around_the_whole_html_page_is_the_page():
    # An exported help center wraps each page in one <div class="article-body">: its headings are
    # the page's. A <div> that is not around all of the page still keeps its headings.
    wrapped = ('<div class="article-body">\n<h1>退款</h1><p>退款会原路返回。</p>'
               '<h2 id="t">到账时间</h2><p>1-3 天。</p>\n</div>\n')
    page = parse_article(wrapped.encode(), "wrapped.md")
    assert page.title == "退款" and [(s.heading, s.text) for s in page.sections] == [
        ("退款", "退款会原路返回。"), ("到账时间", "1-3 天。")]
    two = '<div class="article-body">\n<h2>A</h2><p>a</p>\n</div>\n<div class="demo"><h2>B</h2></div>\n'
    assert [s.heading for s in parse_article(two.encode(), "two.md").sections] == ["Two"]


def test_an_html_headings_id_is_its_id_attribute_only():
    # `data-id` is not the heading's id (it was read as one: the section's anchor became "x").
    page = parse_article('<h2 data-id="x">费用</h2><p>a</p><h2 class="big" id="fee">手续费</h2><p>b</p>\n'
                         .encode(), "ids.md")
    assert [(s.heading, s.anchor) for s in page.sections] == [("费用", "费用"), ("手续费", "fee")]
