"""Rendering an article's Markdown to safe HTML.

Headings and FAQ questions get the same anchor ids as their answer units, so
`/articles/<id>#<anchor>` lands on the section a search answered from. The HTML is
sanitized with nh3 (no scripts, event handlers, `javascript:` URLs; `data:` URLs
only for images), whatever an editor or a pasted document put in the Markdown.
"""

from __future__ import annotations

import posixpath
import re
import threading

import markdown
import nh3

from kb.articles import Article, article_id_for
from kb.sections import OVERVIEW_ANCHOR

_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "attr_list"]
_TAGS = (nh3.ALLOWED_TAGS | {"table", "thead", "tbody", "tr", "th", "td", "caption"}) - {"map", "area"}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "title", "lang"},
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "hreflang", "title"},
}
_local = threading.local()  # a Markdown converter is reusable but not thread-safe
_LINK_SCHEMES = {"http", "https", "mailto", "tel"}
_H1 = re.compile(r"^\s{0,3}#\s+\S")
_ATTR_LIST = re.compile(r"\s*\{[:#.][^}]*\}\s*$")
_MD_LINK = re.compile(r"\]\((?!\w+:|/|#)([^)\s]+?\.md)(#[^)\s]*)?\)")


def resolve_link(relpath: str, target: str) -> str:
    """The article id a relative `.md` link in the file `relpath` points to."""
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(relpath), target))
    return article_id_for(joined)


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
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=_keep_url,
                     url_schemes=_LINK_SCHEMES | {"data"}, clean_content_tags={"script", "style"})


def render_article_html(article: Article) -> str:
    """The article body as sanitized HTML with anchors on every answer unit."""
    lines = article.body.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and _H1.match(lines[first]):
        lines[first] = ""  # the title, shown by the page itself
    for section in article.sections:
        index = section.line - article.body_line
        if section.level == 1 or not 0 <= index < len(lines):
            continue
        if section.level <= 4:
            lines[index] = _ATTR_LIST.sub("", lines[index]) + " {#" + section.anchor + "}"
        else:  # FAQ question: an empty anchor at the start of its own paragraph
            lines[index] = f'\n<a id="{section.anchor}" class="anchor"></a>' + lines[index].lstrip()
    source = _MD_LINK.sub(lambda m: f"](/articles/{resolve_link(article.path, m.group(1))}"
                          f"{m.group(2) or ''})", "\n".join(lines))
    if not hasattr(_local, "markdown"):
        _local.markdown = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
    html = _local.markdown.reset().convert(source)
    has_overview = any(s.level == 1 for s in article.sections)
    if has_overview:
        html = f'<a id="{OVERVIEW_ANCHOR}" class="anchor"></a>\n' + html
    return sanitize_html(html)
