"""The one Markdown parse: source → token stream that sections, anchors, links and HTML share.

Library choice: **markdown-it-py** (CommonMark, with GFM tables and strikethrough) plus
**mdit-py-plugins** (`container` for `::: tip` / Docusaurus `:::note`, `admon` for MkDocs
`!!! note`). Why not Python-Markdown + pymdown-extensions: markdown-it gives one flat
token stream with source line maps (`token.map`), so the sections (with their file lines
and own Markdown), the anchors, the links `kb check` verifies and the rendered HTML all
come from the same tokens; it follows CommonMark exactly (Markdown inside `<div>` blocks
after a blank line, fences indented in lists, `~~~`, any info string), and it parses in
linear time, so no pasted document can stall `kb index`. The renderer in `web/render.py`
walks these same tokens.

What this module adds on top of the parse, as small rules over the tokens:

- author ids: a trailing `{#id}` (or `{: #id .class}`) on a heading is removed from its
  text and becomes its anchor; other headings get `slugify(text)`, unique per page;
- FAQ questions (a paragraph that is bold as a whole and ends with `?`/`？`) get anchors;
- headings and FAQ questions written in HTML at a page's top level (`<h2 id="fee">`,
  `<p><strong>怎么退款？</strong></p>`: an old help center's pages) are headings and FAQ
  paragraphs, their HTML blocks split around them; an HTML table's rows and an HTML
  paragraph read as a Markdown table's and paragraph's (`html_lines`);
- GitHub / Obsidian alerts `> [!NOTE] title` become callouts like `::: note title`;
- wikilinks `[[page]]`, `[[page#heading|label]]` and embeds `![[file]]` become `wikilink`
  tokens, resolved later by `kb.links`;
- footnotes (`[^1]`), task lists (`- [x]`), definition lists (`Term` / `: definition`) and
  attribute lists after an image, link or code span (MkDocs' `![](shot.png){ width="300" }`,
  `[Go](url){ .md-button }`) are mdit-py-plugins' own.

Before the parse, `kb.dialects` rewrites other sites' markup line by line (MDX imports and
components, MkDocs tabs, GitBook and Hugo tags, Obsidian comments, kramdown attribute lines).
"""

from __future__ import annotations

import html as html_lib
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from kb.dialects import TEMPLATE_TAGS, prepare_source, prepared_lines

OVERVIEW_ANCHOR = "overview"
_ATTR = r"(?:[#.][^\s{}]+|[\w-]+=\S+)"
_HEADING_ATTRS = re.compile(r"\s*\{:?\s*(" + _ATTR + r"(?:\s+" + _ATTR + r")*)\s*\}\s*$")
_ALERT = re.compile(r"^\[!([A-Za-z]+)\][+-]?[ \t]*(.*)$")
_NUMBER = r"(?:(?:Q|问)?\d{1,3}\s*[.)、:：]\s*|Q\s*[:：]\s*|问\s*[:：]\s*)?"
FAQ_LINE = re.compile(r"^\s*" + _NUMBER + r"\*\*\s*" + _NUMBER
                      + r"(?P<q>[^*\n]+?[?？])\s*\*\*[ \t]*(?P<rest>.*)$", re.S)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n|]+?)(?:\|([^\[\]\n]*))?\]\]")


_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_RUN = re.compile(r"[A-Za-z]+")


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters make up a fair share of the letters, else 'en'."""
    han = sum(map(len, _HAN_RUN.findall(text)))  # characters counted by runs: fewer, faster matches
    latin = sum(map(len, _LATIN_RUN.findall(text)))
    return "zh" if han and han >= latin * 0.1 else "en"


def slugify(text: str) -> str:
    """A URL-fragment id for a heading: lower-case words of any script joined by '-'."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def _callout_name(params: str) -> tuple[str, str]:
    """(kind, title) of a container's info: `tip 标题`, `tip[Title]`, `details`."""
    match = re.match(r"\s*([A-Za-z][\w-]*)\s*(?:\[(.*)\]|\{[^}]*title=[\"']?([^\"'}]*)[\"']?[^}]*\})?"
                     r"\s*(.*)$", params)
    if not match:
        return "note", params.strip()
    title = match.group(2) or match.group(3) or match.group(4) or ""
    return match.group(1).lower(), title.strip().strip('"')


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith(("[[", "![["), pos):
        return False
    match = _WIKILINK.match(src, pos)
    if not match or src.startswith("(", match.end()):  # `[[1]](#note)` is a link with text "[1]"
        return False
    if match.group(2).strip().lower() == "toc" and not match.group(1):  # VitePress `[[toc]]`
        if not silent:
            state.push("toc_marker", "", 0)
        state.pos = match.end()
        return True
    if not silent:
        target, _, anchor = match.group(2).strip().partition("#")
        token = state.push("wikilink", "", 0)
        token.meta = {"embed": bool(match.group(1)), "target": target.strip(), "anchor": anchor.strip(),
                      "label": (match.group(3) or "").strip()}
        token.content = token.meta["label"] or anchor.strip() or target.strip()
    state.pos = match.end()
    return True


_FAQ_START = re.compile(r"^\s*" + _NUMBER + r"\*\*\s*" + _NUMBER + r"[^*\n]+?[?？]\s*\*\*")


def _split_faq_paragraphs(tokens: list[Token]) -> list[Token]:
    """A paragraph holding several FAQ questions on their own lines becomes one per question."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not (token.type == "paragraph_open" and token.level == 0 and token.map
                and "\n" in tokens[i + 1].content and _FAQ_START.search(tokens[i + 1].content)):
            out.append(token)
            i += 1
            continue
        inline, close = tokens[i + 1], tokens[i + 2]
        lines = inline.content.split("\n")
        cuts = [0] + [n for n in range(1, len(lines)) if _FAQ_START.match(lines[n])] + [len(lines)]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if a == b:
                continue
            start = token.map[0] + a
            opener = Token("paragraph_open", "p", 1, map=[start, token.map[0] + b], level=token.level,
                           block=True)
            part = Token("inline", "", 0, map=[start, token.map[0] + b], level=inline.level,
                         content="\n".join(lines[a:b]), block=True, children=[])
            out += [opener, part, Token("paragraph_close", "p", -1, level=close.level, block=True)]
        i += 3
    return out


# A heading element in an HTML block (old help centers' pages are HTML): its level, attributes and
# content, which holds no other heading tag — each search for the end stops at the next heading
# tag, so a block of unclosed `<h2`s is read in linear time. Or an FAQ question written in HTML:
# a paragraph that starts bold with a question ending with ? or ？, its answer (if any) after it
# (`<p><strong>怎么退款？</strong></p>`, `<p><b>怎么退款？</b><br>原路退回。</p>`).
_HTML_UNIT = re.compile(r"<h(?P<level>[1-6])(?P<attrs>(?:\s[^<>]*)?)>"
                        r"(?P<heading>(?:[^<]|<(?!/?h[1-6][\s/>]))*)</h(?P=level)\s*>"
                        r"|<p\b[^<>]*>\s*<(?P<bold>strong|b)\b[^<>]*>(?P<question>[^<*\n]{1,300}?[?？])\s*"
                        r"</(?P=bold)\s*>(?P<answer>(?:[^<]|<(?!/?p[\s>]))*)</p\s*>", re.I)
_HTML_CLASS = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""", re.I)
# Elements whose headings belong to them, not to the page: a demo's `<div class="demo"><h1>`, a
# style guide's `<div class="style-example"><h3>Bad</h3>`, a table's, a list's, a folded block's.
_NESTING = re.compile(r"<(/?)(?:div|details|table|blockquote|ul|ol|dl|figure|aside|nav|header|footer|form|"
                      r"fieldset|template)\b[^<>]*>", re.I)


def _split_html_units(tokens: list[Token]) -> list[Token]:
    """An HTML block holding heading elements (`<h2 id="fee">退款收费吗</h2>`) or FAQ questions
    split around them, each a heading token or an FAQ paragraph (`**怎么退款？**`) like Markdown's
    (a heading's `id` the author's anchor), so that the sections, anchors and answer cards of a
    page written in HTML are those of its headings and questions. Only the page's own are: at its
    top level, in no element (`_NESTING`) opened before them, in this block or an earlier one.
    The HTML around them is kept as it was, in order."""
    out: list[Token] = []
    # Elements open at the page's top level, over its HTML blocks (known at the first): a `<div>`
    # around the whole page (an exported help center's `<div class="article-body">`) is the page,
    # not an element in it.
    depth = None
    for token in tokens:
        if token.type != "html_block" or token.level != 0:
            out.append(token)
            continue
        if depth is None:
            depth = -1 if _wrapped_page(tokens) else 0
        content, start = token.content, 0
        nesting = [(m.start(), -1 if m.group(1) else 1) for m in _NESTING.finditer(content)]
        step = 0
        line_of = _line_counter(content, token.map[0] if token.map else 0)
        for match in _HTML_UNIT.finditer(content):
            while step < len(nesting) and nesting[step][0] < match.start():
                depth = max(0, depth + nesting[step][1])
                step += 1
            if depth:
                continue
            _html_piece(out, token, content[start:match.start()], line_of(start))
            at = line_of(match.start())
            if match.group("question"):
                answer = _answer_html(match.group("answer"))
                out += [Token("paragraph_open", "p", 1, map=[at, at + 1], level=0, block=True,
                              meta={"html": True}),
                        Token("inline", "", 0, content=f"**{match.group('question').strip()}**"
                                                       + (" " + answer if answer else ""),
                              map=[at, at + 1], level=1, block=True, children=[]),
                        Token("paragraph_close", "p", -1, level=0, block=True)]
            else:
                opening = Token("heading_open", f"h{match.group('level')}", 1, map=[at, at + 1], level=0,
                                block=True)
                # Its id, as an id anywhere in the page's HTML is read (`html_ids`), and its classes.
                if ids := _HTML_ID.findall(f"<h{match.group('level')}{match.group('attrs')}>"):
                    opening.meta["author_id"] = ids[0]
                if classes := _HTML_CLASS.search(match.group("attrs")):
                    opening.attrs["class"] = " ".join("".join(classes.groups(default="")).split())
                inline = Token("inline", "", 0, content=" ".join(match.group("heading").split()),
                               map=[at, at + 1], level=1, block=True, children=[])
                out += [opening, inline, Token("heading_close", opening.tag, -1, level=0, block=True)]
            start = match.end()
        for _, change in nesting[step:]:
            depth = max(0, depth + change)
        if start:
            _html_piece(out, token, content[start:], line_of(start))
        else:
            out.append(token)
    return out


_LEADING_BREAKS = re.compile(r"^(?:\s|<br\s*/?>)+", re.I)


def _answer_html(html: str) -> str:
    """The answer after an HTML FAQ question in its paragraph, on one line, without the line
    breaks that separate it from the question."""
    return " ".join(_LEADING_BREAKS.sub("", html).split())


def _line_counter(text: str, first: int):
    """The file line of a position of `text` (whose first line is `first`), for positions asked in
    increasing order: each newline is counted once (a page of 20,000 FAQ questions in one HTML
    block took 4 s counting from the start each time)."""
    counted, line = 0, first

    def line_of(position: int) -> int:
        nonlocal counted, line
        line += text.count("\n", counted, position)
        counted = position
        return line

    return line_of


def _wrapped_page(tokens: list[Token]) -> bool:
    """Whether the page is one `<div>` around all of it: its first block opens it, its last closes
    it, and no element it opens at its top level closes before."""
    top = [t for t in tokens if t.level == 0 and t.nesting != -1]
    if not top or top[0].type != "html_block" or top[-1].type != "html_block" \
            or not top[0].content.lstrip().lower().startswith("<div") \
            or not re.search(r"</div\s*>\s*$", top[-1].content, re.I):
        return False
    depth, closed_at = 0, None
    for n, token in enumerate(top):
        if token.type != "html_block":
            continue
        for match in _NESTING.finditer(token.content):
            depth += -1 if match.group(1) else 1
            if depth <= 0 and closed_at is None:
                closed_at = (n, match.end())
    return closed_at == (len(top) - 1, len(top[-1].content.rstrip())) and depth == 0


def _html_piece(out: list[Token], block: Token, html: str, line: int) -> None:
    """A piece of an HTML block split around its headings (`meta["piece"]`: its lines may be shared
    with a heading — a help center's HTML is often one line — so a section's own Markdown is its
    pieces' HTML, not its lines: `kb.sections`)."""
    if html.strip():
        out.append(Token("html_block", "", 0, content=html.strip("\n") + "\n", map=[line, line + 1],
                         level=block.level, block=True, meta={"piece": True}))


def _blocks_rule(state) -> None:
    """Before inline parsing: FAQ paragraphs split per question, GitHub alerts → callouts,
    heading `{#id}` → attribute, headings and FAQ questions written in HTML → Markdown's."""
    state.tokens[:] = _split_html_units(_split_faq_paragraphs(state.tokens))
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            inline = tokens[i + 1]
            match = _HEADING_ATTRS.search(inline.content)
            if match and not inline.content.rstrip().endswith("\\}"):
                inline.content = inline.content[: match.start()]
                for part in match.group(1).split():
                    if part.startswith("#"):
                        token.meta["author_id"] = part[1:]
                    elif part.startswith("."):
                        token.attrs["class"] = (str(token.attrs.get("class", "")) + " " + part[1:]).strip()
        elif (token.type == "blockquote_open" and i + 2 < len(tokens)
              and tokens[i + 1].type == "paragraph_open" and tokens[i + 2].type == "inline"):
            inline = tokens[i + 2]
            first, _, rest = inline.content.partition("\n")
            match = _ALERT.match(first.strip())
            if not match:
                continue
            token.type, token.tag = "callout_open", "div"
            token.meta = {"kind": match.group(1).lower(), "title": match.group(2).strip()}
            close = _matching_close(tokens, i)
            tokens[close].type, tokens[close].tag = "callout_close", "div"
            inline.content = rest
            if not rest.strip():  # the alert line was the whole paragraph
                tokens[i + 1].hidden = tokens[i + 3].hidden = True
                tokens[i + 1].meta["empty"] = True


def _matching_close(tokens: list[Token], index: int) -> int:
    depth = 0
    for j in range(index, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _container_open(token: Token) -> None:
    kind, title = _callout_name(token.info)
    token.meta = {"kind": kind, "title": title}


def _anchors_rule(state) -> None:
    """After inline parsing: every heading and FAQ question gets its final anchor."""
    used = _Used({OVERVIEW_ANCHOR})
    tokens = state.tokens
    # Author ids first: they are the page's own promise and must never be renumbered.
    for token in tokens:
        if token.type == "heading_open" and token.meta.get("author_id"):
            used.add(token.meta["author_id"])
    for i, token in enumerate(tokens):
        if token.type.startswith("container_") and token.nesting == 1:
            _container_open(token)
        if token.type == "heading_open":
            text = inline_text(tokens[i + 1].children or [])
            token.meta["text"] = text
            token.meta["anchor"] = token.meta.get("author_id") or _unique(slugify(text), used)
        elif token.type == "paragraph_open" and token.level == 0 and i + 1 < len(tokens):
            faq = FAQ_LINE.match(tokens[i + 1].content)
            if faq:
                question = inline_text(_parse_inline(faq.group("q")))
                token.meta["faq"] = question
                token.meta["anchor"] = _unique(slugify(question), used)


class _Used(set):
    """Anchors taken on a page, with the next number to try per slug (linear in headings)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.next: dict[str, int] = {}


def _unique(anchor: str, used: _Used) -> str:
    """`anchor`, or `anchor-2`, `anchor-3`… when taken."""
    if anchor not in used:
        used.add(anchor)
        return anchor
    n = used.next.get(anchor, 1)
    while True:
        n += 1
        candidate = f"{anchor}-{n}"
        if candidate not in used:
            used.next[anchor] = n
            used.add(candidate)
            return candidate


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    container_plugin(md, "callout", validate=lambda params, *_: bool(re.match(r"\s*[A-Za-z]", params)))
    admon_plugin(md)
    md.use(footnote_plugin).use(tasklists_plugin).use(deflist_plugin).use(attrs_plugin)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.core.ruler.after("block", "kb_blocks", _blocks_rule)
    md.core.ruler.push("kb_anchors", _anchors_rule)
    return md


_local = threading.local()  # a MarkdownIt instance is reusable; one per thread keeps it simple


def markdown_it() -> MarkdownIt:
    if not hasattr(_local, "md"):
        _local.md = _build()
    return _local.md


def parse(source: str) -> list[Token]:
    """The token stream of a Markdown body (MDX-only lines blanked first)."""
    return markdown_it().parse(prepare_source(source))


def parse_page(source: str) -> tuple[list[Token], frozenset[int]]:
    """`parse(source)`, and the lines of `source` inside its JSX components
    (`kb.dialects.prepared_lines`), from one pass over its lines."""
    stripped, inside = prepared_lines(source)
    return markdown_it().parse(stripped), inside


def _parse_inline(text: str) -> list[Token]:
    tokens = markdown_it().parseInline(text)
    return tokens[0].children or [] if tokens else []


# ---------------------------------------------------------------------------------------------
# Plain text of tokens

def inline_text(children: list[Token]) -> str:
    """Readable text of inline tokens: no markup, code spans kept, escapes resolved."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline", "text_special"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif token.type == "image":
            parts.append(inline_text(token.children or []) or "")
        elif token.type == "wikilink":
            parts.append("" if token.meta["embed"] else token.content)
        elif token.type == "html_inline" and re.match(r"<br\b", token.content, re.I):
            parts.append("\n")
    return _join_lines("".join(parts))


def joins_tight(before: str, after: str) -> bool:
    """Whether two lines of a paragraph, one ending with `before` and the next starting with `after`
    (a character each), join without a space: both are CJK."""
    return bool(before and after and _CJK.match(before) and _CJK.match(after))


def _join_lines(text: str) -> str:
    """Lines of one paragraph joined: no space between two CJK characters."""
    if "\n" not in text:  # one line (most): the loop below would only strip it
        return _BLANKS.sub(" ", text.strip()).strip()
    out = ""
    for n, line in enumerate(text.split("\n")):
        line = line.strip()
        if n and out and line and not joins_tight(out[-1], line[0]):
            out += " "
        out += line
    return _BLANKS.sub(" ", out).strip()


_BLANKS = re.compile(r"[ \t]+")


# An HTML parser (nh3's, html5ever) walks the open elements for each tag it reads, so a page of
# unclosed `<div>`s took time growing with their square (66,000 of them: 18 s to index, and more
# to show): past `MAX_HTML_DEPTH` open elements, a tag opens nothing (`bound_html`).
MAX_HTML_DEPTH = 50
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_IMPLIED_END = frozenset("p li dt dd option tr td th".split())  # closed by the next of their kind


def bound_html(html: str, open_elements: list[str], past=html_lib.escape) -> str:
    """`html` with each tag that would open an element past `MAX_HTML_DEPTH` open ones replaced by
    `past(tag)` (shown as text; '' drops it). `open_elements`: the elements open before `html`,
    kept up to date (a page's blocks share one list). A closing tag closes its element and those
    opened inside it; one that closes nothing open changes nothing (`<div><h2>x</h2>` repeated
    nests its `<div>`s); `<p>`, `<li>`… close one of their kind left open just before."""
    def tag(match: re.Match) -> str:
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            return match.group(0)
        if closing:
            if name in open_elements:
                del open_elements[len(open_elements) - 1 - open_elements[::-1].index(name):]
            return match.group(0)
        if name in _IMPLIED_END and open_elements and open_elements[-1] == name:
            open_elements.pop()
        if len(open_elements) >= MAX_HTML_DEPTH:
            return past(match.group(0))
        open_elements.append(name)
        return match.group(0)
    return _TAG.sub(tag, html)


# A line starts at each of these elements' start tags; a table cell starts a cell of its row's line.
_LINE_TAGS = re.compile(r"<(?=(?:p|div|li|tr|br|h[1-6])\b)", re.I)
_MARKED_TAGS = re.compile(r"(<(?:(t[dh])|p)\b[^<>]*>)\s*", re.I)  # the space after it is no text
# Marks put inside a cell and a paragraph (an HTML parser moves text between cells out of the table):
# private-use characters, which no page writes.
_CELL, _PARAGRAPH = "\ue000", "\ue001"


def html_text(html: str) -> list[str]:
    """The text lines of an HTML block (see `html_lines`), a row's cells joined by spaces."""
    return [" ".join(cells) for _, cells in html_lines(html)]


def html_lines(html: str) -> list[tuple[str, list[str]]]:
    """The text lines of an HTML block, each as (kind, cells): "p" for a paragraph's first line,
    "row" for a table row (its cells), else "html" (one cell). Tags are dropped, the content of
    `<script>`, `<style>` and `<template>` too; a line per paragraph, division, list item, row or
    heading. nh3 (an HTML5 parser) reads it in linear time; the standard library's parser took
    quadratic time on a line of unclosed tags (`<a <a <a…`: 60 KB, 37 s)."""
    if "<" in html:
        html = bound_html(html.replace(_CELL, "").replace(_PARAGRAPH, ""), [], past=lambda tag: "")
        html = _LINE_TAGS.sub("\n<", html)
        html = _MARKED_TAGS.sub(lambda tag: tag.group(1) + (_CELL if tag.group(2) else _PARAGRAPH), html)
        html = nh3.clean(html, tags=set(), clean_content_tags={"script", "style", "template"})
    lines = []
    for line in html_lib.unescape(html).split("\n"):
        kind = "p" if line.lstrip().startswith(_PARAGRAPH) else "html"
        cells = [text for text in (" ".join(cell.replace(_PARAGRAPH, " ").split())
                                   for cell in line.split(_CELL)) if text]
        if cells:
            lines.append(("row" if len(cells) > 1 else kind, cells))
    return lines


@dataclass
class Block:
    """One line of a section's plain text, with what kind of block it came from."""

    kind: str  # "p" (prose), "code", "row", "html", "heading" (also a callout's or tab's title)
    text: str
    line: int  # 0-based line in the parsed source
    cells: tuple[str, ...] = ()  # a table row's cells
    html: bool = False  # read from an HTML block

    def render(self, lang: str) -> str:
        """The line as section text; a table row reads `first cell：other cells` (zh)."""
        if self.kind != "row" or len(self.cells) < 2:
            return self.text
        sep, joiner = ("：", "，") if lang == "zh" else (": ", ", ")
        return self.cells[0] + sep + joiner.join(self.cells[1:])


def block_lines(tokens: list[Token]) -> list[Block]:
    """Plain-text lines of a run of block tokens (see contract 2 in the team guide)."""
    blocks: list[Block] = []
    row: list[str] = []
    row_line = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        line = token.map[0] if token.map else 0
        if token.type == "inline":
            opener = tokens[i - 1] if i else None
            if opener is not None and opener.type == "admonition_title_open":
                pass  # the title is taken from the admonition itself, below
            elif opener is not None and opener.type in ("th_open", "td_open"):
                row.append(inline_text(token.children or []))
            else:
                text = inline_text(token.children or [])
                if text:
                    kind = "heading" if opener is not None and opener.type == "heading_open" else "p"
                    blocks.append(Block(kind, text, opener.map[0] if opener and opener.map else line))
        elif token.type == "tr_open":
            row, row_line = [], line
        elif token.type == "tr_close":
            cells = [c for c in row if c]
            if cells:
                blocks.append(Block("row", " ".join(cells), row_line, tuple(cells)))
        elif token.type in ("fence", "code_block"):
            for n, code in enumerate(token.content.rstrip("\n").split("\n")):
                if code.strip():
                    blocks.append(Block("code", code.rstrip(), line + n + 1))
        elif token.type == "html_block":  # its paragraphs and table rows read as Markdown's
            for kind, cells in html_lines(token.content):
                blocks.append(Block(kind, " ".join(cells), line, tuple(cells) if kind == "row" else (), True))
        elif token.type in ("callout_open", "admonition_open") or (
                token.type.startswith("container_") and token.nesting == 1):
            title = token.meta.get("title", "")
            if token.type == "admonition_open":
                title = _admonition_title(token)
            if title:  # a title, as a heading is: text, not the page's first paragraph (summary)
                blocks.append(Block("heading", inline_text(_parse_inline(title)), line))
        i += 1
    return blocks


def _admonition_title(token: Token) -> str:
    """An admonition's own title ('' when it only has the default, its kind)."""
    tag = token.meta.get("tag", "")
    return "" if token.content.strip() in ("", tag.title()) else token.content.strip()


def is_title_heading(tokens: list[Token], index: int) -> bool:
    """Whether the H1 at `index` opens the page: only HTML blocks (scripts, styles, comments,
    empty wrappers) come before it."""
    return all(t.type == "html_block" and not html_text(t.content) for t in tokens[:index]
               if t.level == 0 and t.nesting != -1)


@dataclass
class Outline:
    """Where each answer unit starts in the tokens (see `kb.sections`)."""

    title: str = ""  # the first H1's text ('' when there is none)
    title_index: int = -1  # token index of that H1, when it opens the page
    starts: list[tuple[int, str, int, str, int]] = field(default_factory=list)
    # (token index, heading, level 2-5, anchor, 0-based line)


def outline(tokens: list[Token]) -> Outline:
    """The page's units: top-level headings (H1 after the title counts as H2, H5-6 as H4) and
    FAQ questions."""
    result = Outline()
    for i, token in enumerate(tokens):
        if token.level != 0:
            continue
        if token.type == "heading_open":
            level = int(token.tag[1])
            if level == 1 and not result.title:
                result.title = token.meta["text"]
                if not result.starts and is_title_heading(tokens, i):
                    result.title_index = i
                    continue
            result.starts.append((i, token.meta["text"], min(max(level, 2), 4), token.meta["anchor"],
                                  token.map[0]))
        elif token.type == "paragraph_open" and "faq" in token.meta:
            result.starts.append((i, token.meta["faq"], 5, token.meta["anchor"], token.map[0]))
    return result


# An id (or an old-style `<a name="x">`) in a tag the author wrote; a tag ends at the next `<` or
# `>`, so a line of unclosed tags is read in linear time (`<a <a <a…`: 60 KB took 37 s).
_HTML_ID = re.compile(r"""<[a-zA-Z][^<>]*?\sid\s*=\s*["']?([^"'\s<>]+)""")
# An old-style anchor `<a name="x">`: (the tag up to `name`, `=` and its quote, the name). HTML5 has
# no `name` on links: the renderer writes it as the element's id, and `html_ids` counts it so.
NAME_ANCHOR = re.compile(r"""(<a\s(?:[^<>]*?\s)?)name(\s*=\s*["']?)([^"'\s<>]*)""", re.I)


def all_anchors(tokens: list[Token]) -> list[str]:
    """Every element id the rendered page has: headings, FAQ questions, and the ids of
    HTML elements the author wrote (`<span id="x"></span>`, `<a name="x"></a>`)."""
    found = []
    for token in tokens:
        if "anchor" in token.meta:
            found.append(token.meta["anchor"])
        elif token.type == "html_block":
            found += html_ids(token.content)
        elif token.type == "inline":
            found += [m for c in token.children or [] if c.type == "html_inline" for m in html_ids(c.content)]
    return list(dict.fromkeys(found))


def html_ids(html: str) -> list[str]:
    """The ids of the elements in `html`, an `<a name="x">` counting as id `x` (the renderer gives
    it that id)."""
    if "<" not in html:
        return []
    return _HTML_ID.findall(html) + [m.group(3) for m in NAME_ANCHOR.finditer(html) if m.group(3)]


# Where a template tag of another site's generator opens (kb.dialects.TEMPLATE_TAGS: a whole line of
# them is blanked or rewritten before parsing); a tag is on one line and at most `_TAG_CHARS` long.
_TEMPLATE_OPEN = re.compile("|".join(map(re.escape, TEMPLATE_TAGS)))  # longest openings first
_TAG_CHARS = 200


def template_tags(tokens: list[Token]) -> list[tuple[str, int]]:
    """(tag, 0-based line) of each Hugo shortcode (`{{< ref "x" >}}`) or Liquid / GitBook tag
    (`{% include x %}`) in the page's text, outside code: kb shows it as written."""
    found = []
    for block in tokens:
        if block.type != "inline" or not block.children or "{" not in block.content:
            continue
        text = "".join("\n" if c.type in ("softbreak", "hardbreak") else c.content
                       for c in block.children if c.type in ("text", "html_inline", "softbreak", "hardbreak"))
        line = block.map[0] if block.map else 0
        after = 0  # a tag found ends here: no other starts inside it
        for match in _TEMPLATE_OPEN.finditer(text):
            start = match.start()
            if start < after:
                continue
            close = TEMPLATE_TAGS[match.group(0)]
            end = text.find(close, match.end(), start + _TAG_CHARS)
            if end >= 0 and "\n" not in text[start:end]:
                after = end + len(close)
                found.append((text[start:after], line + text.count("\n", 0, start)))
    return found


def links(tokens: list[Token]) -> list[tuple[str, int, str]]:
    """(url or wikilink target, 0-based line, kind) of every link and image in the page."""
    found = []
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        line = block.map[0] if block.map else 0
        for token in block.children:
            if token.type in ("softbreak", "hardbreak"):
                line += 1
            elif token.type == "link_open":
                found.append((str(token.attrs.get("href", "")), line, "link"))
            elif token.type == "image":
                found.append((str(token.attrs.get("src", "")), line, "image"))
            elif token.type == "wikilink":
                target = token.meta["target"] + ("#" + token.meta["anchor"] if token.meta["anchor"] else "")
                found.append((target, line, "embed" if token.meta["embed"] else "wikilink"))
    return found
