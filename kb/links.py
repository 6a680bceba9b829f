"""Where a link in an article points: another article (and anchor), a file, or outside.

Accepted forms, as the doc tools write them:

- relative paths, with or without `.md`/`.mdx`/`.markdown`/`.html`: `../guide/intro.md#setup`,
  `intro`, `./folder/` (a folder means its `index.md` or `README.md`);
- site-absolute paths: `/guide/essentials/template-syntax#text`, also when the site
  served the folder under a prefix (`/docs/intro` for `docs/intro.md` or `intro.md`),
  and an article's `slug:`/`permalink:`;
- `/articles/<id>#anchor`, kb's own address;
- an anchor as the page's own, or as another tool slugs the same heading: GitHub keeps `_`
  and repeats `-` where kb's slugs join words with one `-` (`#child_processspawncommand-args`
  finds kb's `#child-processspawncommand-args`): anchors that differ only in case, punctuation
  and separators are the same when only one of the page's is so, and a repeated heading's
  `#setup-1` (GitHub, VitePress; MkDocs `#setup_1`) is kb's `#setup-2`;
- wikilinks `[[page]]`, `[[page#heading|label]]`: a file name anywhere in the folder
  (Obsidian's rule: the shortest path wins), a path, or an article title; the heading
  is matched by anchor or by its text;
- anything else with a file extension (`shot.png`, `/img/logo.svg`, `guide.pdf`) is a file
  in the articles folder, served at `/media/<path>`.

`kb check` and the renderer (`web/render.py`) resolve through the same `LinkMap`.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from kb.markdown import slugify

PAGE_SUFFIXES = (".md", ".mdx", ".markdown", ".html", ".htm")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
MEDIA_PREFIX = "/media/"


@dataclass(frozen=True)
class Target:
    """What a link resolves to."""

    kind: str  # "article" | "file" | "external" | "missing"
    article_id: str = ""
    anchor: str = ""
    path: str = ""  # a file's path under the articles folder (kind "file"), or what was sought

    @property
    def url(self) -> str:
        if self.kind == "article":
            return "/articles/" + quote(self.article_id) + (f"#{self.anchor}" if self.anchor else "")
        if self.kind == "file":
            return MEDIA_PREFIX + quote(self.path)
        return ""


@dataclass(frozen=True)
class Page:
    """What links need to know about one article."""

    id: str
    path: str
    title: str = ""
    slug: str = ""
    headings: tuple[tuple[str, str], ...] = ()  # (anchor, heading text)
    anchors: tuple[str, ...] = ()  # every element id of the page


def _strip_suffix(path: str) -> str:
    lower = path.lower()
    for suffix in PAGE_SUFFIXES:
        if lower.endswith(suffix):
            return path[: -len(suffix)]
    return path


class LinkMap:
    """Every article's addresses, for resolving links."""

    def __init__(self, pages: Iterable[Page]):
        self.pages: dict[str, Page] = {}
        self.by_path: dict[str, str] = {}
        self.by_stem: dict[str, str] = {}
        self.by_title: dict[str, str] = {}
        for page in sorted(pages, key=lambda p: (p.path.count("/"), p.path)):
            self.pages[page.id] = page
            bare = _strip_suffix(page.path)
            self.by_path.setdefault(bare, page.id)
            self.by_path.setdefault(page.id, page.id)
            if page.slug:
                self.by_path.setdefault(page.slug.strip("/"), page.id)
            self.by_stem.setdefault(bare.rsplit("/", 1)[-1].lower(), page.id)
            if page.title:
                self.by_title.setdefault(page.title.strip().lower(), page.id)
            for name in ("index", "readme", "_index"):
                if bare.lower().endswith("/" + name):
                    self.by_path.setdefault(bare[: -len(name) - 1], page.id)
                elif bare.lower() == name:
                    self.by_path.setdefault("", page.id)

    @classmethod
    def from_articles(cls, articles: Iterable) -> LinkMap:
        return cls(Page(a.id, a.path, a.title, getattr(a, "slug", ""),
                        tuple((s.anchor, s.heading) for s in a.sections), tuple(a.anchors))
                   for a in articles)

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> LinkMap:
        """From `SearchIndex.link_pages()`."""
        return cls(Page(r["id"], r["path"], r.get("title", ""), r.get("slug", ""),
                        tuple(tuple(h) for h in r.get("headings", ())), tuple(r.get("anchors", ())))
                   for r in records)

    def has_anchor(self, article_id: str, anchor: str) -> bool:
        """Whether the page has that element id (`overview` always; True for unknown pages)."""
        page = self.pages.get(article_id)
        if page is None or not anchor or anchor == "overview":
            return True
        return anchor in page.anchors or any(anchor == a for a, _ in page.headings)

    def page_anchor(self, article_id: str, anchor: str) -> str:
        """`anchor` as the page has it: itself, or the one anchor of the page that differs from it
        only in case, punctuation and separators (another tool's slug of the same heading)."""
        page = self.pages.get(article_id)
        if page is None or self.has_anchor(article_id, anchor):
            return anchor
        key = _anchor_key(anchor)
        same = {a for a in (*page.anchors, *(a for a, _ in page.headings)) if _anchor_key(a) == key}
        if len(same) == 1:
            return same.pop()
        # A repeated heading: GitHub and VitePress number its second `-1` (MkDocs `_1`), kb `-2`.
        repeated = _REPEATED.fullmatch(anchor)
        if repeated:
            first = self.page_anchor(article_id, repeated.group(1))
            shifted = f"{first}-{int(repeated.group(2)) + 1}"
            if self.has_anchor(article_id, first) and self.has_anchor(article_id, shifted):
                return shifted
        return anchor

    def _page(self, path: str, absolute: bool) -> str | None:
        path = path.strip("/")
        bare = _strip_suffix(path)
        for candidate in (bare, path):
            if candidate in self.by_path:
                return self.by_path[candidate]
        if absolute:  # served under a prefix: /docs/intro → intro
            parts = bare.split("/")
            for n in range(1, len(parts)):
                rest = "/".join(parts[n:])
                if rest in self.by_path:
                    return self.by_path[rest]
        return None

    def resolve(self, url: str, from_path: str, from_id: str = "") -> Target:
        """The target of `url` written in the article file `from_path`."""
        url = url.strip()
        if not url or _SCHEME.match(url):
            return Target("external")
        path, _, anchor = url.partition("#")
        path = unquote(path.partition("?")[0])
        anchor = unquote(anchor)
        if not path:
            article_id = from_id or self.by_path.get(_strip_suffix(from_path), "")
            return Target("article", article_id, self.page_anchor(article_id, anchor))
        if path.startswith("/articles/"):
            article_id = path[len("/articles/"):].strip("/")
            kind = "article" if article_id in self.pages else "missing"
            return Target(kind, article_id, self.page_anchor(article_id, anchor), path)
        absolute = path.startswith("/")
        joined = path.lstrip("/") if absolute else posixpath.join(posixpath.dirname(from_path), path)
        joined = posixpath.normpath(joined) if joined else ""
        if joined in (".", ""):
            joined = ""
        if joined.startswith("../") or joined == "..":
            return Target("missing", path=path)
        article_id = self._page(joined, absolute)
        if article_id is not None:
            return Target("article", article_id, self.page_anchor(article_id, anchor))
        name = joined.rsplit("/", 1)[-1]
        if "." in name and not name.lower().endswith(PAGE_SUFFIXES):
            return Target("file", path=joined)
        return Target("missing", path=joined)

    def resolve_wikilink(self, target: str, heading: str, from_path: str, from_id: str = "") -> Target:
        """`[[target#heading]]`: by file name, path or title; the heading by anchor or text."""
        target = target.strip()
        if not target:
            article_id = from_id
        else:
            bare = _strip_suffix(target).strip("/")
            article_id = (self.by_path.get(bare) or self.by_stem.get(bare.rsplit("/", 1)[-1].lower())
                          or self.by_title.get(target.lower()))
            if article_id is None:
                if "." in target.rsplit("/", 1)[-1] and not target.lower().endswith(PAGE_SUFFIXES):
                    return Target("file", path=self._file_path(target, from_path))
                return Target("missing", path=target)
        return Target("article", article_id, self.anchor_for(article_id, heading) if heading else "")

    def _file_path(self, target: str, from_path: str) -> str:
        if "/" in target:
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(from_path), target))

    def anchor_for(self, article_id: str, heading: str) -> str:
        """The anchor of `heading` (an anchor already, or a heading's text) in the article."""
        page = self.pages.get(article_id)
        if page is None:
            return heading
        for anchor, text in page.headings:
            if heading in (anchor, text) or slugify(heading) == slugify(text):
                return anchor
        return slugify(heading)


_REPEATED = re.compile(r"(.+)[-_](\d{1,3})")


def _anchor_key(anchor: str) -> str:
    """An anchor without case, punctuation or separators: the heading's words, run together."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", anchor).casefold())


MEDIA_FOLDERS = ("", "public/", "static/", "assets/")  # where doc tools keep site-absolute files


MEDIA_SUFFIXES = frozenset(""".png .jpg .jpeg .gif .svg .webp .avif .bmp .ico .pdf .mp4 .webm .mov .mp3 .ogg
    .wav .zip .csv .xlsx .xls .docx .doc .pptx .ppt .txt .json""".split())


def media_file(root: Path, relpath: str) -> Path | None:
    """The file `relpath` names under the articles folder (also under `public/`, `static/`,
    `assets/`, where VitePress and Docusaurus keep `/img/…`), never a file outside it."""
    parts = relpath.split("/")
    hidden = any(p.startswith(".") or not p for p in parts) or parts[-1].startswith("_")
    if hidden or Path(relpath).suffix.lower() not in MEDIA_SUFFIXES:
        return None  # never an article's source, kb's own `_` files or a hidden folder
    base = root.resolve()
    for folder in MEDIA_FOLDERS:
        candidate = (base / (folder + relpath)).resolve()
        if candidate.is_relative_to(base) and candidate.is_file():
            return candidate
    return None
