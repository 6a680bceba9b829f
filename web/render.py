"""Rendering stored Markdown to safe HTML, from the same parse `kb` indexes (contract 4).

`render_article(source, path, article_id, links)` renders an article's stored source (the
file as indexed) and `render_fragment(markdown, article_id)` a section body for the
answer card. Both walk the token stream of `kb.markdown.parse`, so every heading and FAQ
question carries exactly the anchor its answer unit has, and author ids (`{#id}`) are
element ids. Links go through `kb.links` (`/articles/<id>#anchor`, `/media/<file>`); a link
that resolves to nothing shows its text without a dead link (`kb check` names it).

Callouts (`::: tip`, `:::note[Title]`, `!!! warning`, `> [!NOTE]`) become
`<div class="callout tip">` with a title, `::: details` and MkDocs `??? note` a `<details>`
(`???+` open), a content tab (`=== "Tab"`) a `<div class="container tab">` under its title;
fences keep their language (`js{1,3}` → `language-js`) and title (```` ```ts [main.ts] ````).
Footnotes, task lists and definition lists are rendered by their plugins' own rules.

The sanitizer (nh3) runs on the rendered HTML: no scripts, event handlers or
`javascript:` URLs. It never removes text that was in the source: inline HTML that
would swallow the rest of the page (`<script>`, `<style>`, `<textarea>`… outside code)
is shown as text instead of being dropped.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from markdown_it.token import Token

from kb.articles import split_front_matter
from kb.dialects import CALLOUT_STYLES
from kb.links import LinkMap, Target, media_file
from kb.markdown import (
    NAME_ANCHOR,
    OVERVIEW_ANCHOR,
    _admonition_title,
    bound_html,
    joins_tight,
    markdown_it,
    outline,
    parse,
)
from web import per_index_version

_TAGS = (nh3.ALLOWED_TAGS | {"table", "thead", "tbody", "tr", "th", "td", "caption", "details", "summary",
                             "div", "span", "sup", "sub", "kbd", "mark", "figure", "figcaption", "del", "s",
                             "input", "section"}) - {"map", "area"}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang"},
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "hreflang", "title"},
    "th": {"align", "style"}, "td": {"align", "style"},
    "details": {"open"},
    "input": {"type", "checked", "disabled"},
}
_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_RAW_TEXT = re.compile(r"^<\s*/?\s*(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|"
                       r"plaintext)\b", re.I)
_FENCE_TITLE = re.compile(r"""\[([^\]]+)\]|\btitle=["']([^"']+)["']""")
_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\s]+\]")
_IMG_EXT = re.compile(r"\.(png|jpe?g|gif|svg|webp|avif|bmp|ico)$", re.I)
_DEFAULT_TITLES = {"zh": {"note": "注意", "tip": "提示", "warning": "警告", "danger": "危险",
                          "details": "详情"},
                   "en": {"note": "Note", "tip": "Tip", "warning": "Warning", "danger": "Danger",
                          "details": "Details"}}


# Ids and classes an article may carry into the page (issue 13): the page's own ids (those in
# kb's templates) are renamed, so `<div id="main">` in an article cannot take over the page's;
# classes are limited to the ones kb's renderer writes, so `<div class="feedback">` styles nothing.
_PAGE_IDS = frozenset(m.group(1) for template in (Path(__file__).parent / "templates").rglob("*.html")
                      for m in re.finditer(r'\bid="([^"{}]+)"', template.read_text("utf-8")))
_CLASSES = frozenset({"anchor", "callout", "callout-title", "details", "container", "tab", "code-block",
                      "code-title", "unresolved-link", "wikilink", "footnotes", "footnote-ref",
                      "footnote-item", "footnote-backref", "contains-task-list", "task-list-item",
                      *CALLOUT_STYLES.values()})
_ALIGN = re.compile(r"^\s*text-align\s*:\s*(left|right|center)\s*;?\s*$", re.I)


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "id":
        return "user-content-" + value if value in _PAGE_IDS else value
    if attr == "class":
        kept = [c for c in value.split() if c in _CLASSES or c.startswith("language-")]
        return " ".join(kept) or None
    if attr == "style":  # table cell alignment only
        return value if _ALIGN.match(value) else None
    return _keep_url(tag, attr, value)


def _keep_url(tag: str, attr: str, value: str) -> str | None:
    if attr not in ("href", "src"):
        return value
    scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
    if not scheme:
        return value  # relative URL
    name = scheme.group(1).lower()
    if name in _LINK_SCHEMES or (name == "data" and tag == "img" and value.lower().startswith("data:image/")):
        return value
    return None


def sanitize_html(html: str) -> str:
    """Remove everything from `html` that could run script or leave the page."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=_keep_attribute,
                     url_schemes=_LINK_SCHEMES | {"data"}, clean_content_tags={"script", "style"},
                     link_rel="noopener noreferrer")


@dataclass
class _Context:
    path: str
    article_id: str
    links: LinkMap | None
    lang: str
    closers: list[str]
    page: bool = True  # rendering the article's own page (not a fragment shown elsewhere)
    has_file: object = None  # (relpath) -> bool: whether a linked file exists; None: assume so
    open_elements: list[str] = field(default_factory=list)  # HTML elements the author left open


def _resolve(ctx: _Context, url: str) -> Target:
    if ctx.links is None:
        ctx.links = LinkMap([])
    target = ctx.links.resolve(url, ctx.path, ctx.article_id)
    if target.kind == "file" and ctx.has_file is not None and not ctx.has_file(target.path):
        return Target("missing", path=target.path)  # shown as text, never a broken link
    if target.kind == "article" and not ctx.links.has_anchor(target.article_id, target.anchor):
        return Target("article", target.article_id)  # a stale anchor still reaches the page
    return target


def _attrs(token: Token, **extra: str) -> str:
    attrs = {**{k: str(v) for k, v in token.attrs.items()}, **extra}
    return "".join(f' {k}="{html_lib.escape(v)}"' for k, v in attrs.items() if v != "")


def _callout_open(kind: str, title: str, ctx: _Context, folds: str = "") -> str:
    """The opening HTML of a callout; `folds` ("open" or "closed"): a callout that folds, as MkDocs
    `???+ note` and `??? note` are (closed with `</details>`)."""
    md = markdown_it()
    title_html = md.renderInline(title) if title else ""
    if kind == "details":
        summary = title_html or _DEFAULT_TITLES[ctx.lang]["details"]
        return f'<details class="callout details"><summary>{summary}</summary>\n'
    style = CALLOUT_STYLES.get(kind)
    if style is None and not folds:  # an unknown container (`::: code-group`, `::: v-pre`): a plain wrapper
        return f'<div class="container {html_lib.escape(kind)}">\n' + (
            f'<p class="callout-title">{title_html}</p>\n' if title_html else "")
    label = title_html or _DEFAULT_TITLES[ctx.lang].get(kind, kind.title())
    if folds:
        opened = " open" if folds == "open" else ""
        return f'<details class="callout {style or "note"}"{opened}><summary>{label}</summary>\n'
    return f'<div class="callout {style}"><p class="callout-title">{label}</p>\n'


_HTML_URL = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])([^"']*)\2""", re.I)


def _html_urls(html: str, ctx: _Context) -> str:
    """Links and images written as HTML resolve like Markdown ones; what resolves to
    nothing loses its URL (the text stays). An old-style anchor `<a name="x">` gets id `x`
    (`kb.markdown.NAME_ANCHOR`)."""
    if "name" in html:
        html = NAME_ANCHOR.sub(r"\1id\2\3", html)
    def rewrite(match: re.Match) -> str:
        url = html_lib.unescape(match.group(3))
        target = _resolve(ctx, url)
        if target.kind == "external":
            return match.group(0)
        if target.kind == "missing":
            return ""
        return f'{match.group(1)}"{html_lib.escape(target.url)}"'
    return _HTML_URL.sub(rewrite, html)


class _Renderer:
    """The render rules, bound to one page's context through `env`."""

    @staticmethod
    def heading_open(self, tokens, idx, options, env):
        token = tokens[idx]
        return f"<{token.tag}{_attrs(token, id=token.meta.get('anchor', ''))}>"

    @staticmethod
    def paragraph_open(self, tokens, idx, options, env):
        token = tokens[idx]
        if token.hidden:
            return ""
        anchor = token.meta.get("anchor")
        return f'<p id="{html_lib.escape(anchor)}">' if anchor else "<p>"

    @staticmethod
    def link_open(self, tokens, idx, options, env):
        ctx: _Context = env["kb"]
        token = tokens[idx]
        target = _resolve(ctx, str(token.attrs.get("href", "")))
        if target.kind == "missing":
            ctx.closers.append("</span>")
            return '<span class="unresolved-link">'
        ctx.closers.append("</a>")
        href = target.url or str(token.attrs.get("href", ""))
        if ctx.page and target.kind == "article" and target.article_id == ctx.article_id and target.anchor:
            href = "#" + target.anchor  # on its own page, an anchor link stays on the page
        return f'<a href="{html_lib.escape(href)}"{_attrs(token, href="")}>'

    @staticmethod
    def link_close(self, tokens, idx, options, env):
        closers = env["kb"].closers
        return closers.pop() if closers else "</a>"

    @staticmethod
    def image(self, tokens, idx, options, env):
        ctx: _Context = env["kb"]
        token = tokens[idx]
        src = str(token.attrs.get("src", ""))
        target = _resolve(ctx, src)
        alt = html_lib.escape(self.renderInlineAsText(token.children or [], options, env))
        sizes = "".join(f' {name}="{html_lib.escape(str(token.attrs[name]))}"'  # MkDocs' `{ width="300" }`
                        for name in ("title", "width", "height") if token.attrs.get(name))
        if target.kind == "missing":
            return f'<span class="unresolved-link">{alt}</span>'
        return f'<img src="{html_lib.escape(target.url or src)}" alt="{alt}"{sizes} loading="lazy">'

    @staticmethod
    def wikilink(self, tokens, idx, options, env):
        ctx: _Context = env["kb"]
        meta = tokens[idx].meta
        links = ctx.links or LinkMap([])
        target = links.resolve_wikilink(meta["target"], meta["anchor"], ctx.path, ctx.article_id)
        label = html_lib.escape(tokens[idx].content)
        if target.kind == "file" and ctx.has_file is not None and not ctx.has_file(target.path):
            target = Target("missing")
        if target.kind == "missing":
            return f'<span class="unresolved-link">{label}</span>'
        if meta["embed"] and target.kind == "file" and _IMG_EXT.search(target.path):
            return f'<img src="{html_lib.escape(target.url)}" alt="{label}" loading="lazy">'
        return f'<a href="{html_lib.escape(target.url)}" class="wikilink">{label}</a>'

    @staticmethod
    def toc_marker(self, tokens, idx, options, env):
        return ""

    @staticmethod
    def softbreak(self, tokens, idx, options, env):
        # A line break inside a paragraph: none between two CJK characters (a browser would show
        # a space in 实名认证。 认证), else a newline.
        before = tokens[idx - 1].content[-1:] if idx else ""
        after = tokens[idx + 1].content[:1] if idx + 1 < len(tokens) else ""
        return "" if joins_tight(before, after) else "\n"

    @staticmethod
    def text(self, tokens, idx, options, env):
        content, ctx = tokens[idx].content, env.get("kb")
        if "[^" in content and ctx is not None and not ctx.page:
            # A section shown alone (the answer card) lacks the page's footnotes: their marks go.
            content = _FOOTNOTE_MARK.sub("", content)
        return html_lib.escape(content, quote=False)

    @staticmethod
    def fence(self, tokens, idx, options, env):
        token = tokens[idx]
        info = token.info.strip()
        lang = re.split(r"[\s{\[:]", info, maxsplit=1)[0] if info else ""
        title = _FENCE_TITLE.search(info)  # VitePress `ts [main.ts]`, Docusaurus / MkDocs `js title="a.js"`
        code = html_lib.escape(token.content)
        cls = f' class="language-{html_lib.escape(lang)}"' if lang else ""
        head = (f'<div class="code-title">{html_lib.escape(title.group(1) or title.group(2))}</div>'
                if title else "")
        return f'<div class="code-block">{head}<pre><code{cls}>{code}</code></pre></div>\n'

    @staticmethod
    def html_block(self, tokens, idx, options, env):
        content = tokens[idx].content
        if re.match(r"^\s*<\s*(script|style)\b", content, re.I):
            return ""  # a page's own scripts and styles (Vue's `<script setup>`): never shown or run
        return _html_urls(bound_html(content, env["kb"].open_elements), env["kb"])

    @staticmethod
    def html_inline(self, tokens, idx, options, env):
        content = tokens[idx].content
        if _RAW_TEXT.match(content):
            return html_lib.escape(content)  # shown as written: dropping it would drop the rest too
        return _html_urls(bound_html(content, env["kb"].open_elements), env["kb"])

    @staticmethod
    def callout_open(self, tokens, idx, options, env):
        meta = tokens[idx].meta
        return _callout_open(meta.get("kind", "note"), meta.get("title", ""), env["kb"])

    @staticmethod
    def callout_close(self, tokens, idx, options, env):
        opener = tokens[idx].meta.get("opener_kind") or "note"
        return "</details>\n" if opener == "details" else "</div>\n"

    @staticmethod
    def admonition_open(self, tokens, idx, options, env):
        token = tokens[idx]
        folds = "" if not token.markup.startswith("?") else "open" if token.markup.endswith("+") else "closed"
        return _callout_open(token.meta.get("tag", "note"), _admonition_title(token), env["kb"], folds)

    @staticmethod
    def admonition_close(self, tokens, idx, options, env):
        return "</details>\n" if tokens[idx].markup.startswith("?") else "</div>\n"

    @staticmethod
    def admonition_title_open(self, tokens, idx, options, env):
        return ""  # drawn by admonition_open, like every callout's title

    @staticmethod
    def admonition_title_close(self, tokens, idx, options, env):
        return ""


def _install(md) -> None:
    if getattr(md, "_kb_render_rules", False):
        return
    for name in ("heading_open", "paragraph_open", "link_open", "link_close", "image", "wikilink",
                 "toc_marker", "softbreak", "text", "fence", "html_block", "html_inline", "callout_open",
                 "callout_close", "admonition_open", "admonition_close", "admonition_title_open",
                 "admonition_title_close"):
        md.add_render_rule(name, getattr(_Renderer, name))
    md.add_render_rule("container_callout_open", _Renderer.callout_open)
    md.add_render_rule("container_callout_close", _Renderer.callout_close)
    md._kb_render_rules = True


def _prepare(tokens: list[Token]) -> None:
    """Pair each callout close with its opener's kind; hide admonition title text."""
    stack: list[str] = []
    hide_depth = 0
    for token in tokens:
        if token.type in ("callout_open", "container_callout_open"):
            stack.append(token.meta.get("kind", "note"))
        elif token.type in ("callout_close", "container_callout_close"):
            token.meta["opener_kind"] = stack.pop() if stack else "note"
        elif token.type == "admonition_title_open":
            hide_depth += 1
        elif token.type == "admonition_title_close":
            hide_depth -= 1
        elif hide_depth and token.type == "inline":
            token.children = []


def _render_tokens(tokens: list[Token], ctx: _Context) -> str:
    md = markdown_it()
    _install(md)
    _prepare(tokens)
    return md.renderer.render(tokens, md.options, {"kb": ctx})


def render_article(source: str, path: str, article_id: str, lang: str = "en",
                   links: LinkMap | None = None, has_file=None) -> str:
    """The article body (its stored source, front matter included) as sanitized HTML.

    The H1 that opens the page is the page's title and is not repeated; its author id
    stays on an empty anchor so links to it still land."""
    _, body, _, _ = split_front_matter(source.replace("\r\n", "\n"), path)
    tokens = parse(body)
    shape = outline(tokens)
    prefix = ""
    if shape.title_index >= 0:
        heading = tokens[shape.title_index]
        if heading.meta.get("author_id"):
            prefix += f'<a id="{html_lib.escape(heading.meta["author_id"])}" class="anchor"></a>\n'
        del tokens[shape.title_index:shape.title_index + 3]
    prefix = f'<a id="{OVERVIEW_ANCHOR}" class="anchor"></a>\n' + prefix
    ctx = _Context(path, article_id, links, lang if lang in _DEFAULT_TITLES else "en", [], True, has_file)
    return sanitize_html(prefix + _render_tokens(tokens, ctx))


def render_fragment(markdown: str, article_id: str, path: str = "", lang: str = "en",
                    links: LinkMap | None = None, has_file=None) -> str:
    """Safe HTML of a section body (the answer card), links resolved as on its page."""
    ctx = _Context(path or article_id + ".md", article_id, links, lang if lang in _DEFAULT_TITLES else "en",
                   [], page=False, has_file=has_file)
    return sanitize_html(_render_tokens(parse(markdown), ctx))


# ---------------------------------------------------------------------------------------------
# The web side: rendered once per article version, links resolved against the open index.

RENDER_CACHE_SIZE = 1000
_cache: dict[tuple, str] = {}


def _links(index) -> LinkMap:
    return per_index_version("links", index, lambda ix: LinkMap.from_records(ix.link_pages()))


def _has_file(relpath: str) -> bool:
    from flask import current_app

    return media_file(Path(current_app.config["KB_ARTICLES"]), relpath) is not None


def article_html(found: dict, index) -> str:
    """The HTML of an article `index.get_article` returned, cached per version."""
    links = _links(index)
    key = (found["id"], found.get("hash", ""), id(links))  # a new link map with each index version
    if key not in _cache:
        if len(_cache) >= RENDER_CACHE_SIZE:
            _cache.clear()
        _cache[key] = render_article(found.get("source", ""), found.get("path", found["id"] + ".md"),
                                     found["id"], found.get("lang", "en"), links, _has_file)
    return _cache[key]


def fragment_html(markdown: str, article_id: str, index, lang: str = "en") -> str:
    """`render_fragment` with the open index's links (for the answer card)."""
    links = _links(index)
    page = links.pages.get(article_id)
    return render_fragment(markdown, article_id, page.path if page else "", lang, links, _has_file)
