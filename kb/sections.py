"""Splitting an article body into answer units.

A unit starts at a `##`-`####` heading, or at an FAQ question: a line that is bold
as a whole and ends with a question mark (`**1. 提现多久到账？**`), optionally with
the answer on the same line. Text before the first unit is the article's overview.
Each unit gets a stable anchor derived from its heading, so links keep working as
long as the heading does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OVERVIEW_ANCHOR = "overview"

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ATTR_LIST = re.compile(r"\s*\{[:#.][^}]*\}\s*$")
_NUMBER = r"(?:(?:Q|问)?\d{1,3}\s*[.)、:：]\s*|Q\s*[:：]\s*|问\s*[:：]\s*)?"
_FAQ_LINE = re.compile(r"^\s*" + _NUMBER + r"\*\*\s*" + _NUMBER
                       + r"(?P<q>[^*]+?[?？])\s*\*\*\s*(?P<rest>.*)$")


@dataclass(frozen=True)
class Section:
    """One answer unit: a heading (or FAQ question) and the plain text below it."""

    anchor: str
    heading: str
    level: int  # 1 for the overview, 2-4 for headings, 5 for FAQ questions
    text: str
    line: int  # 1-based line of the heading in the file


def slugify(text: str) -> str:
    """A URL-fragment id for a heading: lower-case words of any script joined by '-'."""
    text = unicodedata.normalize("NFKC", inline_to_text(text)).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def inline_to_text(markdown: str) -> str:
    """Strip inline Markdown (links, images, emphasis, code, HTML tags) to plain text."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>\n]+>", "", text)
    text = re.sub(r"(\*\*|__|~~|`)", "", text)
    text = re.sub(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])", r"\1", text)
    return text.strip()


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown block, one line per source line, tables as cells."""
    lines = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            lines.append(line)
            continue
        if re.fullmatch(r"\s*\|?[\s:|-]+\|[\s:|-]*", line):
            continue
        line = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?)", "", line)
        if line.strip().startswith("|"):
            line = "  ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        lines.append(inline_to_text(line))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_sections(body: str, title: str, first_line: int = 1) -> list[Section]:
    """Split `body` (Markdown, its first line being file line `first_line`) into units.

    A level-1 heading on the body's first non-blank line is the title and is skipped.
    Units with neither heading nor text are dropped; a heading with only sub-units
    below it is kept (empty text) so the table of contents shows it.
    """
    starts: list[tuple[int, str, int, str]] = []  # (line index, heading, level, same-line text)
    in_fence = False
    skipped_title = False
    overview_from = -1
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip():
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            text = _ATTR_LIST.sub("", heading.group(2))
            if level == 1 and not starts and not skipped_title:
                skipped_title = True
                overview_from = i  # the title line itself is not part of the overview
                continue
            starts.append((i, inline_to_text(text), min(max(level, 2), 4), ""))
            continue
        faq = _FAQ_LINE.match(line)
        if faq:
            starts.append((i, inline_to_text(faq.group("q")), 5, faq.group("rest")))
        skipped_title = True

    sections: list[Section] = []
    used: set[str] = set()
    bounds = [(overview_from, title, 1, "")] + starts
    for n, (index, heading, level, rest) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(lines)
        block = "\n".join(([rest] if rest else []) + lines[index + 1:end])
        text = markdown_to_text(block)
        if level == 1 and not text:
            continue
        anchor = _unique(OVERVIEW_ANCHOR if level == 1 else slugify(heading), used)
        sections.append(Section(anchor, heading or title, level, text, first_line + max(index, 0)))
    return sections


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in used:
        n += 1
        candidate = f"{anchor}-{n}"
    used.add(candidate)
    return candidate
