"""Other sites' Markdown, rewritten line by line before the one parse (`kb.markdown`).

Docs sites write some of their markup in ways CommonMark does not read. Outside code fences,
and keeping the line count (so every line number stays the file's), `prepare_source`:

- MDX: blanks `import`/`export` lines, `{/* comments */}` and lines holding only JSX component
  tags (`<Tabs>`, `</TabItem>`, `<Foo x="1" />`), so the Markdown between them is parsed and
  nothing else shows; `prepared_lines` also says which lines lie inside a component (its
  content, not the page's own prose);
- MDX callout and tab components on lines of their own (`<Admonition type="tip">`, `<Note>`,
  `<Callout type="warning">`, `<TabItem label="macOS">`, `<Tab title="iOS">`) become containers;
- MkDocs content tabs `=== "Tab"` become admonitions titled by the tab;
- GitBook `{% hint style="info" %}` / `{% tab title="…" %}` and Hugo `{{< hint info >}}` /
  `{{% notice tip "Title" %}}` become containers, and any other line holding only GitBook tags
  or Hugo shortcodes (`{% tabs %}`, `{{< figure … >}}`) is blanked;
- Obsidian comments (`%%…%%`, also over several lines) are removed, outside inline code;
- Jekyll's kramdown attribute lines: `{: .note }` over a paragraph (Just the Docs' callout)
  becomes a callout, `{: .note-title }` titles the quote below it, `{: #id }` under a heading
  is its id, `* TOC` / `{:toc}` and any other attribute line (`{: .fs-6 }`) go.

Each pattern matches a line one way only (no two quantifiers may take the same characters), so
a hostile line is read in linear time (`import` and 5,000 spaces once took 40 s).
"""

from __future__ import annotations

import re

# Callout kinds → the four styles the site draws (others are drawn as `note`).
CALLOUT_STYLES = {
    "note": "note", "info": "note", "important": "note", "abstract": "note", "summary": "note",
    "seealso": "note", "todo": "note", "quote": "note", "example": "note", "question": "note",
    "faq": "note", "help": "note", "tldr": "note",
    "tip": "tip", "hint": "tip", "success": "tip", "check": "tip", "done": "tip",
    "warning": "warning", "caution": "warning", "attention": "warning",
    "danger": "danger", "error": "danger", "failure": "danger", "fail": "danger", "bug": "danger",
}

_FENCE_OPEN = re.compile(r"^\s*(`{3,}|~{3,})")
_IMPORT_EXPORT = re.compile(r"^\s{0,3}(import(?:\s+[\w*{},$][\w*{}\s,$]*\sfrom)?\s*['\"][^'\"]+['\"];?\s*"
                            r"|export\s+(?:default|const|let|var|function|class|async)\b.*)$")
_MDX_COMMENT = re.compile(r"^\s*\{/\*.*\*/\}\s*$")
_JSX_TAGS_LINE = re.compile(r"^\s*(?:</?[A-Z][\w.]*(?:\s[^<>]*)?>\s*)+$")
_JSX_OPEN_START = re.compile(r"^\s*<[A-Z][\w.]*(\s|$)")
_JSX_OPENING = re.compile(r"<[A-Z][\w.]*(?:\s[^<>]*)?(?<!/)>")  # not self-closing
_JSX_CLOSING = re.compile(r"</[A-Z][\w.]*\s*>")
# What each line `prepare_source` blanks or rewrites holds: `import`, `export`, `{/*`, a component tag
# `<Tag`, `</Tag`, a content tab `===`, a GitBook tag `{%`, a Hugo shortcode `{{<`, `{{%`, an
# Obsidian comment `%%` or a kramdown attribute list `{:`.
_LINE_MARKS = re.compile(r"import|export|\{/\*|</?[A-Z]|===|\{%|\{\{[<%]|%%|\{:")
# A kramdown attribute list on a line of its own (Jekyll): `{: .note }`, `{:toc}`, `{: #id .fs-6 }`.
_IAL_LINE = re.compile(r"^\s*\{:([^{}]*)\}\s*$")
_TOC_ITEM = re.compile(r"^\s*(?:[*+-]|1\.)\s+TOC\s*$")
_IAL_CALLOUTS = {"highlight": "note", "new": "tip"}  # Just the Docs' own callouts (and CALLOUT_STYLES)
_COMMENT_OR_CODE = re.compile(r"`+|%%")  # an Obsidian comment's mark, or an inline code span's
# Other sites' block markup (see the module doc).
_TAB = re.compile(r'^(\s*)===[!+]?[ \t]+"(.*)"\s*$')  # MkDocs (pymdownx.tabbed)
# Openings of containers: pattern → (kind, title) of the container it opens.
_SITE_OPENINGS = (
    (re.compile(r'^\s*\{%-?\s*hint\s+style=["\']?(\w+)["\']?\s*-?%\}\s*$'),  # GitBook
     lambda m: (m.group(1), "")),
    (re.compile(r'^\s*\{%-?\s*tab\s+title=["\'](.*?)["\']\s*-?%\}\s*$'), lambda m: ("tab", m.group(1))),
    (re.compile(r'^\s*\{\{[<%]\s*(?:hint|notice|alert|callout|admonition)\s+(?:type=)?["\']?(\w+)["\']?'
                r'(?:\s+(?:title=)?["\']?(.*?)["\']?)?\s*[>%]\}\}\s*$'),  # Hugo
     lambda m: (m.group(1), m.group(2) or "")),
)
_SITE_CLOSING = re.compile(r"^\s*(?:\{%-?\s*end(?:hint|tab)\s*-?%\}"
                           r"|\{\{[<%]\s*/(?:hint|notice|alert|callout|admonition)\s*[>%]\}\})\s*$")
# MDX components that are callouts or tabs (Docusaurus, Mintlify, Nextra), on lines of their own.
_COMPONENT_KINDS = {"Note": "note", "Tip": "tip", "Warning": "warning", "Info": "info", "Check": "check",
                    "Danger": "danger", "Caution": "caution", "Important": "important"}
_COMPONENTS = "|".join([*_COMPONENT_KINDS, "Callout", "Admonition", "TabItem", "Tab"])
_COMPONENT_OPENING = re.compile(rf"^\s*<({_COMPONENTS})(\s[^<>]*)?>\s*$")
_COMPONENT_CLOSING = re.compile(rf"^\s*</({_COMPONENTS})\s*>\s*$")
_JSX_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*["']([^"']*)["']""")
# The containers these become are written `::: kind title` with more colons the further out they
# are (12 at the outermost), as nested containers must be: an inner `:::` does not close an outer.
_OUTERMOST = 12
# Template tags of other sites' generators, opening → closing mark: Liquid, Jinja and GitBook
# (`{% include x %}`), Hugo shortcodes (`{{< ref "x" >}}`, `{{% notice %}}`). A line of only such
# tags is blanked here; a tag inside text is shown as written (kb.markdown.template_tags).
TEMPLATE_TAGS = {"{{<": ">}}", "{{%": "%}}", "{%": "%}"}
# A line of only such tags; a tag cannot hold its own end, so each is matched one way only (linear).
_SITE_TAGS_LINE = re.compile(r"^\s*(?:(?:{})\s*)+$".format("|".join(
    f"{re.escape(opening)}(?:[^{re.escape(closing[0])}]|{re.escape(closing[0])}(?!{re.escape(closing[1:])}))*"
    f"{re.escape(closing)}" for opening, closing in TEMPLATE_TAGS.items())))


def prepare_source(source: str) -> str:
    """`source` with the lines of other sites' markup blanked or rewritten (see the module doc),
    never removed, so line numbers stay those of the file."""
    return prepared_lines(source)[0]


def prepared_lines(source: str) -> tuple[str, frozenset[int]]:
    """`prepare_source`'s text, and the 0-based lines that lie inside a JSX component written over
    several lines (`<VideoLink href="…">` / a label / `</VideoLink>`): the component's content,
    not the page's own prose, whatever it renders (a link's label, a tab's text)."""
    if not _LINE_MARKS.search(source):
        return source, frozenset()  # no line can be blanked (most pages: every parse starts here)
    lines = source.split("\n")
    fence: str | None = None
    in_jsx = False
    depth = 0  # components open around the line
    inside: set[int] = set()
    in_comment = False  # inside an Obsidian comment running over lines
    quoting = False  # the paragraph after `{: .note }`: a callout's lines
    containers: list[str] = []  # the containers written for other sites' markup, innermost last
    for i, line in enumerate(lines):
        if in_comment or ("%%" in line and not fence):
            line, in_comment = _without_comments(line, in_comment)
            lines[i] = line
        if quoting and not fence:
            quoting = bool(line.strip())
            lines[i] = "> " + line if quoting else line
            continue
        if "{:" in line and not fence and (ial := _IAL_LINE.match(line)):
            lines[i], quoting = _attribute_line(ial.group(1), lines, i)
            continue
        opened = _FENCE_OPEN.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence) \
                    and not line.strip()[len(opened.group(1)):].strip():
                fence = None
            elif depth:
                inside.add(i)
            continue
        if opened:
            fence = opened.group(1)
            if depth:
                inside.add(i)
            continue
        if in_jsx:
            lines[i] = ""
            in_jsx = not line.rstrip().endswith(">")
            if not in_jsx and not line.rstrip().endswith("/>"):
                depth += 1
        elif _IMPORT_EXPORT.match(line) or _MDX_COMMENT.match(line):
            lines[i] = ""
        elif "<" in line and (component := _component(line, containers)) is not None:
            lines[i] = component
        elif _JSX_TAGS_LINE.match(line):
            lines[i] = ""
            depth = max(0, depth + len(_JSX_OPENING.findall(line)) - len(_JSX_CLOSING.findall(line)))
        elif _JSX_OPEN_START.match(line) and ">" not in line:
            lines[i] = ""  # a component whose attributes run over several lines
            in_jsx = True
        else:
            if "===" in line or "{%" in line or "{{" in line:
                lines[i] = _site_block(line, containers)
            if depth and line.strip():
                inside.add(i)
    return "\n".join(lines), frozenset(inside)


def _attribute_line(attributes: str, lines: list[str], index: int) -> tuple[str, bool]:
    """A kramdown attribute list on a line of its own, at `lines[index]`: what the line becomes, and
    whether the paragraph below becomes a callout. `{: .note }` over a paragraph is Just the Docs'
    callout (`> [!NOTE]`, the paragraph quoted); `{: .note-title }` over a quote titles it from
    the quote's first line; `{:toc}` after a `* TOC` item is the page's table of contents (both
    go); under a heading, its `#id` is the heading's id (as `## Heading {#id}`); any other
    (`{: .fs-6 }`) is styling, and goes."""
    words = attributes.split()
    ids = [word[1:] for word in words if word.startswith("#") and len(word) > 1]
    if ids and index and re.match(r"^ {0,3}#{1,6}\s", lines[index - 1]) and "{#" not in lines[index - 1]:
        lines[index - 1] = f"{lines[index - 1].rstrip()} {{#{ids[0]}}}"
        return "", False
    if words == ["toc"]:
        before = index - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        if before >= 0 and _TOC_ITEM.match(lines[before]):
            lines[before] = ""
        return "", False
    for word in words:
        name = word[1:].lower() if word.startswith(".") else ""
        titled = name.endswith("-title")
        kind = name[:-len("-title")] if titled else name
        kind = _IAL_CALLOUTS.get(kind, kind)
        if kind not in CALLOUT_STYLES or index + 1 >= len(lines) or not lines[index + 1].strip():
            continue
        if titled and lines[index + 1].lstrip().startswith(">"):
            title = lines[index + 1].lstrip()[1:].strip()
            lines[index + 1] = f"> [!{kind.upper()}] {title}"
            return "", False
        if not titled:
            return f"> [!{kind.upper()}]", True
    return "", False


def _without_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """`line` without its Obsidian comments (`%%…%%`, which may run over lines: `in_comment` says
    whether one is open where the line starts), and whether one is open where it ends. `%%` in
    inline code is code."""
    kept, start, code = [], 0, None
    for mark in _COMMENT_OR_CODE.finditer(line):
        token = mark.group(0)
        if token != "%%":
            if not in_comment:
                code = token if code is None else None if token == code else code
        elif code is None:
            if in_comment:
                start = mark.end()
            else:
                kept.append(line[start:mark.start()])
            in_comment = not in_comment
    if not in_comment:
        kept.append(line[start:])
    return "".join(kept), in_comment


def _site_block(line: str, containers: list[str]) -> str:
    """`line` with another site's block markup in kb's (`=== "Tab"` → `!!! tab "Tab"`, a GitBook
    hint → a container), blank when it holds only tags kb has no use for, else as it is."""
    tab = _TAB.match(line)
    if tab:
        return f'{tab.group(1)}!!! tab "{tab.group(2)}"'
    for pattern, opened in _SITE_OPENINGS:
        if match := pattern.match(line):
            return _open(containers, *opened(match), "site")
    if _SITE_CLOSING.match(line):
        return _close(containers) if containers and containers[-1] == "site" else ""
    return "" if _SITE_TAGS_LINE.match(line) else line


def _component(line: str, containers: list[str]) -> str | None:
    """The container line for an MDX callout or tab component's opening or closing tag on `line`
    (`<Note>`, `<Callout type="warning">`, `<Admonition type="tip" title="…">`, `<TabItem
    label="macOS">`, `<Tab title="iOS">`, and their closing tags), or None."""
    if opening := _COMPONENT_OPENING.match(line):
        if line.rstrip().endswith("/>"):
            return None
        name, attributes = opening.group(1), dict(_JSX_ATTRIBUTE.findall(opening.group(2) or ""))
        if name in ("TabItem", "Tab"):
            kind = "tab"
            title = attributes.get("label") or attributes.get("title") or attributes.get("value", "")
        else:
            kind = _COMPONENT_KINDS.get(name) or attributes.get("type", "note").lower()
            title = attributes.get("title", "")
        return _open(containers, kind, title, name)
    closing = _COMPONENT_CLOSING.match(line)
    if closing and containers and containers[-1] == closing.group(1):
        return _close(containers)
    return None


def _open(containers: list[str], kind: str, title: str, name: str) -> str:
    """The opening line of a container of `kind` titled `title`, for the markup `name`, one level
    further in than those open (blank past the deepest level)."""
    if len(containers) >= _OUTERMOST - 3:
        return ""
    marker = ":" * (_OUTERMOST - len(containers))
    containers.append(name)
    return f"{marker} {kind} {title}".rstrip()


def _close(containers: list[str]) -> str:
    """The closing line of the innermost container open."""
    marker = ":" * (_OUTERMOST - len(containers) + 1)
    containers.pop()
    return marker
