"""Issue 11's measures over real pages: the Vue guide in Chinese and English (VitePress
Markdown, ../shared/eval/docs, CC BY 4.0), loaded through `kb.corpus` and rendered by
`web.render` exactly as the site does."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from kb.check import check_articles
from kb.corpus import load_corpus
from kb.links import LinkMap, media_file
from kb.markdown import block_lines, parse
from tests.conftest import shared_folder
from web.render import render_article

CORPORA = ["vue-zh", "vue-en"]
RAW = re.compile(r""":::|\{#|```|~~~|\[\[|<Tabs|^\s*import\s+(\S+\s+from\s+)?['"]""", re.M)


class _Page(HTMLParser):
    """Text outside code, element ids and link targets of a rendered page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.all_text, self.ids, self.hrefs, self.code = [], [], set(), [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.hrefs.append(attrs["src"])
        if tag in ("code", "pre"):
            self.code += 1

    def handle_endtag(self, tag):
        if tag in ("code", "pre") and self.code:
            self.code -= 1

    def handle_data(self, data):
        self.all_text.append(data)
        if not self.code:
            self.text.append(data)


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module", params=CORPORA)
def site(request):
    root = shared_folder("eval", "docs", request.param, "docs")
    corpus = load_corpus(root)
    links = LinkMap.from_articles(corpus.articles)
    pages = {}
    for article in corpus.articles:
        source = (root / article.path).read_text("utf-8-sig")
        html = render_article(source, article.path, article.id, article.lang, links,
                              lambda p, root=root: media_file(root, p) is not None)
        pages[article.id] = (article, html, _page(html))
    return root, corpus, pages


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_page_with_prose_has_a_sensible_title(site):
    _, corpus, _ = site
    assert len(corpus.articles) > 100 and not [p for p in corpus.problems if p.level == "error"]
    for article in corpus.articles:
        if article.sections:
            assert article.title and not RAW.search(article.title) and "\\" not in article.title, article.path
    # the pages whose H1 comes after a <script setup> or <style> block (issue 11)
    titles = {a.path: a.title for a in corpus.articles}
    assert titles["guide/essentials/forms.md"] in ("表单输入绑定", "Form Input Bindings")


def test_no_raw_syntax_in_pages_summaries_or_section_text(site):
    _, corpus, pages = site
    for article_id, (article, _, page) in pages.items():
        assert not RAW.search("".join(page.text)), article_id
        assert not RAW.search(article.summary), article_id
        for section in article.sections:
            assert not RAW.search(section.heading), (article_id, section.heading)
            prose = [b.text for b in block_lines(parse(section.markdown)) if b.kind != "code"]
            assert not RAW.search("\n".join(prose)), (article_id, section.anchor)
            assert not re.search(r"\\[.*_#\[\]<>`]", "\n".join(prose)), (article_id, section.anchor)


def test_every_author_id_is_an_element_id(site):
    root, _, pages = site
    count = 0
    for article_id, (article, _, page) in pages.items():
        source = (root / article.path).read_text("utf-8-sig")
        in_fence = False
        for line in source.split("\n"):
            if re.match(r"^\s*(```|~~~)", line):
                in_fence = not in_fence
            match = re.match(r"^#{1,6}\s.*\{#([^}\s]+)\}\s*$", line)
            if match and not in_fence:
                count += 1
                assert match.group(1) in page.ids, (article_id, match.group(1))
    assert count > 500


def test_no_link_in_a_rendered_page_resolves_to_nothing(site):
    _, corpus, pages = site
    ids = {article_id: page.ids for article_id, (_, _, page) in pages.items()}
    checked = 0
    for article_id, (_, _, page) in pages.items():
        for href in page.hrefs:
            if href.startswith("/articles/"):
                target, _, anchor = href[len("/articles/"):].partition("#")
                assert target in ids, (article_id, href)
                assert not anchor or anchor in ids[target], (article_id, href)
                checked += 1
            elif href.startswith("#"):
                assert href[1:] in ids[article_id], (article_id, href)
            else:
                assert re.match(r"^(https?:|mailto:|tel:|/media/)", href), (article_id, href)
                assert not href.startswith("/media/"), (article_id, href)  # these corpora ship no images
    assert checked > 300


def test_nothing_lost_every_paragraph_is_on_its_page(site):
    _, _, pages = site
    for article_id, (article, _, page) in pages.items():
        rendered = _squash("".join(page.all_text))
        tokens = parse(article.body)
        for i, token in enumerate(tokens):
            if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
                text = "".join(c.content for c in token.children or []
                               if c.type in ("text", "code_inline"))
                assert _squash(text) in rendered, (article_id, text[:80])


def test_kb_check_has_no_noise(site):
    root, _, _ = site
    problems = check_articles(root)
    messages = [p.format() for p in problems]
    assert not [m for m in messages if "unknown front-matter key" in m
                and not re.search(r"`(sponsors|ads)`", m)], messages
    assert not [m for m in messages if "no such article" in m], messages
