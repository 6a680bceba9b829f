"""Splitting an article body into answer units, from the one parse of `kb.markdown`.

A unit starts at a top-level `##`-`####` heading (a later `#` counts as `##`, `#####`
and deeper as `####`), or at an FAQ question: a paragraph that is bold as a whole up
to a question mark (`**1. 提现多久到账？**`), optionally with the answer on the same line.
Text before the first unit is the article's overview. Each unit's anchor is the author's
`{#id}` when the heading has one, else a slug of its text, unique on the page; the
renderer gives the same ids to the same headings because it walks the same tokens.

`Section.text` is readable plain text (contract 2): one line per paragraph, list item or
table row, tables as `first cell：other cells`, code blocks as their code lines, no
Markdown, HTML or JSX. `Section.markdown` is the unit's own body source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown_it.token import Token

from kb.markdown import (
    FAQ_LINE,
    OVERVIEW_ANCHOR,
    Block,
    _parse_inline,
    all_anchors,
    block_lines,
    detect_lang,
    inline_text,
    links,
    outline,
    parse,
    parse_page,
    slugify,
    template_tags,
)

__all__ = ["OVERVIEW_ANCHOR", "Section", "ParsedBody", "parse_body", "split_sections", "slugify",
           "markdown_to_text", "inline_to_text"]


@dataclass(frozen=True)
class Section:
    """One answer unit: a heading (or FAQ question), its plain text and its Markdown."""

    anchor: str
    heading: str
    level: int  # 1 for the overview, 2-4 for headings, 5 for FAQ questions
    text: str
    line: int  # 1-based line of the heading in the file
    markdown: str = ""  # the unit's own body source (without its heading)
    # Its text without code blocks, where it has some (None: its text has no code); snippets
    # come from it, so a page's code does not stand in for its words.
    prose: str | None = None


@dataclass
class ParsedBody:
    """Everything kb reads from one parse of an article body."""

    tokens: list[Token]
    h1: str  # text of the first H1 ('' when none)
    sections: list[Section]
    anchors: list[str]  # every element id of the rendered page
    links: list[tuple[str, int, str]]  # (url, 1-based file line, kind)
    prose: str  # paragraphs, headings and table text, no code: for language detection
    summary: str  # the first prose paragraph
    blocks: list[list[Block]] = field(default_factory=list)
    template_tags: list[tuple[str, int]] = field(default_factory=list)  # (tag, 1-based file line)


def parse_body(body: str, title: str = "", first_line: int = 1, lang: str | None = None,
               detect=None) -> ParsedBody:
    """Parse `body` (its first line being file line `first_line`) once into units and facts.

    `lang` formats table rows; when None, `detect(prose)` chooses it (default 'en')."""
    tokens, inside = parse_page(body)  # inside: lines of JSX components' content
    lines = body.split("\n")
    shape = outline(tokens)
    title = title or shape.title
    skip = set(range(shape.title_index, shape.title_index + 3)) if shape.title_index >= 0 else set()
    bounds = [(-1, title, 1, OVERVIEW_ANCHOR, -1)] + shape.starts
    units: list[tuple[tuple, list[Block], str]] = []
    all_blocks: list[Block] = []
    for n, (index, heading, level, anchor, line) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(tokens)
        end_line = bounds[n + 1][4] if n + 1 < len(bounds) else len(lines)
        rest_md = ""
        if level == 1:
            body_tokens = [t for k, t in enumerate(tokens[:end]) if k not in skip]
            title_map = tokens[shape.title_index].map if shape.title_index >= 0 else None
            md_lines = [ln for k, ln in enumerate(lines[:end_line])
                        if not (title_map and title_map[0] <= k < title_map[1])]
        elif level == 5:
            faq = FAQ_LINE.match(tokens[index + 1].content)
            rest_md = faq.group("rest").strip() if faq else ""
            body_tokens = tokens[index + 3:end]
            md_lines = lines[tokens[index].map[1]:end_line]
        else:
            body_tokens = tokens[index + 3:end]
            md_lines = lines[tokens[index].map[1]:end_line]
        blocks = block_lines(body_tokens)
        if rest_md:
            rest_text = inline_text(_parse_inline(rest_md))
            blocks.insert(0, Block("p", rest_text, line, html=tokens[index].meta.get("html", False)))
        if any(t.meta.get("piece") for t in body_tokens) and all(t.type == "html_block" for t in body_tokens):
            md_lines = ["".join(t.content for t in body_tokens)]  # a section of an HTML page: its pieces
        markdown = "\n".join(([rest_md] if rest_md else []) + md_lines).strip("\n")
        all_blocks += blocks
        units.append(((index, heading, level, anchor, line), blocks, markdown))
    prose = "\n".join(b.text for b in all_blocks if b.kind != "code")
    if lang is None:
        lang = detect(" ".join((title, prose))) if detect else "en"
    sections = []
    for (_, heading, level, anchor, line), blocks, markdown in units:
        lines = [b.render(lang) for b in blocks]
        text = "\n".join(lines)
        if level == 1 and not text:
            continue
        words = "\n".join(rendered for b, rendered in zip(blocks, lines, strict=True) if b.kind != "code")
        sections.append(Section(anchor, heading or title, level, text, first_line + max(line, 0), markdown,
                                words if words != text else None))
    # The first paragraph of the page's own: not the label of a component around it (a video
    # link's "Watch an interactive video lesson"), unless the page has no other; an HTML
    # paragraph (a README's centred tagline, a template's `{{ version }}`) only on a page written
    # in HTML, which has no Markdown one.
    paragraphs = ([b for b in all_blocks if b.kind == "p" and not b.html]
                  or [b for b in all_blocks if b.kind == "p"])
    summary = next((b.text for b in paragraphs if b.line not in inside),
                   paragraphs[0].text if paragraphs else "")
    return ParsedBody(tokens, shape.title, sections, all_anchors(tokens),
                      [(url, first_line + line, kind) for url, line, kind in links(tokens)],
                      prose, summary, [b for _, b, _ in units],
                      [(tag, first_line + line) for tag, line in template_tags(tokens)])


def split_sections(body: str, title: str, first_line: int = 1, lang: str = "en") -> list[Section]:
    """The answer units of `body` (see the module doc)."""
    return parse_body(body, title, first_line, lang).sections


def markdown_to_text(markdown: str, lang: str | None = None) -> str:
    """Plain text of a Markdown fragment, one line per paragraph, list item or table row."""
    blocks = block_lines(parse(markdown))
    lang = lang or detect_lang(" ".join(b.text for b in blocks if b.kind != "code"))
    return "\n".join(b.render(lang) for b in blocks)


def inline_to_text(markdown: str) -> str:
    """Plain text of one line of inline Markdown."""
    return inline_text(_parse_inline(markdown))
