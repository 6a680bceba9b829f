"""Loading one Markdown article: bytes → front matter + body → `Article`.

The body is parsed once (`kb.sections.parse_body`, on `kb.markdown`'s token stream);
sections, anchors, links, summary and language all come from that parse.

Title: `title:` in the front matter, else the first `# H1` anywhere in the body (after
leading `<script>`/`<style>`/HTML blocks), else `sidebar_label:`, else the file name
(`getting-started.md` → "Getting started"; `index.md` → its folder's name).

Front matter is YAML between `---` lines, or TOML between `+++` lines (Hugo's and Zola's).
Metadata of other tools is mapped, not refused: `description` → summary, `aliases` →
questions, `keywords` → tags, `slug`/`permalink` → another address links may use; the
common layout keys of VitePress, Docusaurus, MkDocs, Obsidian, Hugo and Jekyll
(`IGNORED_KEYS`) are accepted silently. Every failure raises `ArticleError` whose
`Problem` names the file and line. Other unknown keys are kept on the article so
`kb check` can point at them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.errors import ArticleError, Problem
from kb.markdown import detect_lang
from kb.sections import Section, parse_body

__all__ = ["Article", "ArticleError", "detect_lang", "parse_article", "load_article"]

MAX_ARTICLE_BYTES = 1_000_000
KNOWN_KEYS = ("title", "id", "lang", "category", "tags", "questions", "summary",
              "related", "visibility", "updated", "draft", "translations")
# Keys of other tools mapped onto kb's: key → kb key.
MAPPED_KEYS = {"description": "summary", "aliases": "questions", "keywords": "tags",
               "last_update": "updated", "lastUpdated": "updated", "date": "updated",
               "modified": "updated", "lastmod": "updated", "language": "lang", "locale": "lang"}
# Keys of VitePress, Docusaurus, MkDocs, Obsidian, Hugo and Jekyll that only lay out their
# sites: accepted silently.
IGNORED_KEYS = frozenset("""
    sidebar_label sidebar_position sidebar_class_name sidebar_custom_props sidebar displayed_sidebar
    pagination_label pagination_next pagination_prev hide_title hide_table_of_contents toc_min_heading_level
    toc_max_heading_level custom_edit_url unlisted slug permalink image layout hero features head
    editLink footer navbar aside outline prev next search pageClass titleTemplate lastUpdated
    author authors template hide icon subtitle status nav_order nav_exclude parent grand_parent
    has_children has_toc weight toc comments created cssclasses cssclass publish order menu
    type linkTitle url excerpt page returnToTop categories sitemap noindex robots og_image canonical
    publishDate expiryDate params build cascade resources outputs markup isCJKLanguage headless
    series extra taxonomies in_search_index
    """.split())
ACCEPTED_KEYS = frozenset(KNOWN_KEYS) | frozenset(MAPPED_KEYS) | IGNORED_KEYS
ARTICLE_SUFFIXES = (".md", ".mdx", ".markdown")
LANGS = ("zh", "en")
VISIBILITIES = ("public", "internal")
DEFAULT_CATEGORY = "general"
SUMMARY_CHARS = 140

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class Article:
    """A parsed article, ready to index or render."""

    id: str
    path: str  # relative to the articles folder, '/' separated
    title: str
    lang: str
    category: str
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    summary: str
    related: tuple[str, ...]
    visibility: str
    updated: str  # ISO date
    body: str  # Markdown after the front matter
    body_line: int  # file line where the body starts
    sections: tuple[Section, ...]
    source_hash: str
    unknown_keys: tuple[tuple[str, int], ...] = field(default=())  # (key, line)
    draft: bool = False  # `draft: true`: agents only, until the line is removed
    translations: tuple[str, ...] = ()  # ids of the same article in other languages
    anchors: tuple[str, ...] = ()  # every element id of the rendered page (headings, FAQ)
    links: tuple[tuple[str, int, str], ...] = ()  # (url, file line, "link"|"image"|"wikilink"|"embed")
    slug: str = ""  # `slug:`/`permalink:`: another address links may use
    template_tags: tuple[tuple[str, int], ...] = ()  # (another generator's tag shown as written, file line)
    encoding: str = "utf-8"  # of the file: "utf-8", "utf-16" or one of LEGACY_ENCODINGS (read_source)

    @property
    def internal(self) -> bool:
        return self.visibility == "internal"


def article_id_for(relpath: str) -> str:
    """The default id: the path under articles/ without `.md` (`.mdx`, `.markdown`)."""
    for suffix in ARTICLE_SUFFIXES:
        if relpath.endswith(suffix):
            return relpath[: -len(suffix)]
    return relpath


def is_valid_id(article_id: str) -> bool:
    """Ids appear in URLs (percent-encoded): '/'-separated parts, none empty, '.' or '..',
    with no control characters or backslashes, and no surrounding spaces."""
    parts = article_id.split("/")
    return (not _ID_FORBIDDEN.search(article_id) and article_id == article_id.strip()
            and all(p and p.strip() == p and p not in (".", "..") for p in parts))


# Chinese Windows' own encodings, read where UTF-8 fails: simplified Chinese's GB18030 (GBK's
# superset) and traditional Chinese's Big5 (as Windows' code page 950 has it).
LEGACY_ENCODINGS = ("gb18030", "cp950")
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks that start a UTF-16 file
# What `kb check` calls each encoding read besides UTF-8.
ENCODING_NAMES = {"utf-16": "UTF-16 (Windows' \"Unicode\")",
                  "gb18030": "GB18030 (GBK's superset, what simplified-Chinese Windows saves)",
                  "cp950": "Big5 (what traditional-Chinese Windows saves)"}
# The commonest characters of Chinese, simplified and traditional. Each encoding reads the other's
# bytes as Chinese characters too, rarely these: read in its own encoding, half of a page's
# characters are among them (40–63 % on the Vue guide's pages and the starter articles, saved as GBK
# or, converted, as Big5); in the other one, 0.6–6 %.
_COMMON = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得"
    "于於着著下自之年过過发發后後作里裏用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面"
    "起看定天分还還进進好小部其些主样樣理心本前开開但因只从從想实實日意无無力它与與长長把机機十第公此已"
    "工使情明性知全三又关關点點正业業外将將两兩高间間由问問很最重并物手应應向头頭文体體新己制身果加月话"
    "話合回特代内信表化老给給世位次度门門任常先通教儿兒原东東声聲提立及比员員解水名真论論处處走义義各入"
    "几幾口认認条條平系气氣题題活更别別打变變四总總何电電数數安少报報才结結反受目太量再感建务務做接必场"
    "場件计計管期直资資")
_COMMON_SHARE = 0.15
# What Chinese text is made of beyond ASCII: ideographs, CJK and full-width punctuation, and the
# quotes, dashes and ellipses of general punctuation.
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
                      r"\u2010-\u2027\u00b7]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def decode_source(data: bytes, relpath: str) -> str:
    """`read_source`'s text."""
    return read_source(data, relpath)[0]


def read_source(data: bytes, relpath: str) -> tuple[str, str]:
    """(text, encoding) of an article's bytes: UTF-8 (BOM and CRLF accepted); UTF-16 with its
    byte-order mark (Windows' "Unicode", what PowerShell 5 writes); or, where UTF-8 fails, GB18030
    (GBK's superset) or Big5 — what Chinese Windows and old help centers save — when the bytes
    read as Chinese in it (`_chinese_legacy`). Else an `ArticleError` naming the first byte that is
    not UTF-8."""
    utf16 = data.startswith(UTF16_MARKS)
    if b"\x00" in data and not utf16:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ArticleError(Problem(relpath, line, "binary file (contains NUL bytes), not Markdown"))
    try:
        text, encoding = (data.decode("utf-16"), "utf-16") if utf16 else (data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        if utf16:
            raise ArticleError(Problem(relpath, 1, f"UTF-16 (it starts with its byte-order mark) but "
                                       f"byte {exc.start} is not: save the file as UTF-8")) from None
        legacy = _chinese_legacy(data)
        if legacy is None:
            line = data[: exc.start].count(b"\n") + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise ArticleError(Problem(relpath, line, f"not UTF-8 (byte 0x{data[exc.start]:02x}); "
                                       "save the file as UTF-8", col=col)) from None
        text, encoding = legacy
    if "\x00" in text:
        raise ArticleError(Problem(relpath, text[: text.index("\x00")].count("\n") + 1,
                                   "binary file (contains NUL characters), not Markdown"))
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _chinese_legacy(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of `data` in the one of `LEGACY_ENCODINGS` it is Chinese text in, else None:
    it decodes strictly, nine in ten of its non-ASCII characters are Chinese, and more of them
    are common (`_COMMON`) than in the other encoding, at least `_COMMON_SHARE`. And it is not
    UTF-8 with a few bad bytes: UTF-8 Chinese read as GB18030 gives ideographs too (安全 → 瀹夊叏),
    so a UTF-8 file with a pasted Windows-1252 é stays an error — read as UTF-8, a GBK or Big5
    file is an error at nearly every non-ASCII character, such a file at a few."""
    best, best_share = None, _COMMON_SHARE
    not_utf8 = data.decode("utf-8", "replace").count("\ufffd")  # bytes UTF-8 cannot read
    for encoding in LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        foreign = _NON_ASCII.findall(text)
        if not foreign or len(_CHINESE.findall(text)) < 0.9 * len(foreign):
            continue
        share = sum(char in _COMMON for char in foreign) / len(foreign)
        if share >= best_share and not_utf8 >= 0.5 * len(foreign):
            best, best_share = (text, encoding), share
    return best


def split_front_matter(text: str, relpath: str) -> tuple[dict, str, int, dict[str, int]]:
    """Return (front matter, body, body's first line, key → line) for `text`."""
    if text.startswith("+++\n") or text.rstrip("\n") == "+++":
        return _toml_front_matter(text, relpath)
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return {}, text, 1, {}
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise ArticleError(Problem(relpath, 1, "front matter opened with '---' is never closed"))
    block = "\n".join(lines[1:end])
    try:
        meta = yaml.load(block, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = min(mark.line + 2, end) if mark else 1  # errors at end of input: last front-matter line
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArticleError(Problem(relpath, line, f"invalid YAML in front matter: {reason}",
                                   col=mark.column + 1 if mark else 0)) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        # Well-formed YAML whose value cannot be built: `updated: 2026-02-30`, `!!int abc`,
        # a 5,000-digit number. The value's own line is found by building one value at a time.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ArticleError(Problem(relpath, _unbuildable_line(block),
                                   f"invalid value in front matter: {reason}")) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(Problem(relpath, 2, "front matter must be a mapping of `key: value` lines"))
    key_lines = {}
    for n, line in enumerate(lines[1:end], start=2):
        match = re.match(r"^([^\s:#][^:]*?)\s*:", line)
        if match:
            key_lines.setdefault(match.group(1), n)
    return meta, "\n".join(lines[end + 1:]), end + 2, key_lines


_TOML_KEY = re.compile(r"""^\s*("[^"]+"|'[^']+'|[A-Za-z0-9_-]+)\s*=""")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_front_matter(text: str, relpath: str) -> tuple[dict, str, int, dict[str, int]]:
    """`split_front_matter` for TOML between `+++` lines (Hugo, Zola): top-level keys before the
    first `[table]` carry their lines."""
    lines = text.split("\n")
    end = next((n for n in range(1, len(lines)) if lines[n].rstrip() == "+++"), None)
    if end is None:
        raise ArticleError(Problem(relpath, 1, "front matter opened with '+++' is never closed"))
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc).splitlines()[0]
        at = _TOML_POSITION.search(reason)  # else "(at end of document)": the last line of the block
        reason = re.sub(r"\s*\(at [^)]*\)", "", reason)
        raise ArticleError(Problem(relpath, min(int(at.group(1)) + 1, end) if at else max(end, 2),
                                   f"invalid TOML in front matter: {reason}",
                                   col=int(at.group(2)) if at else 0)) from None
    key_lines: dict[str, int] = {}
    for n, line in enumerate(lines[1:end], start=2):
        if line.lstrip().startswith("["):
            break
        match = _TOML_KEY.match(line)
        if match:
            key_lines.setdefault(match.group(1).strip("\"'"), n)
    return meta, "\n".join(lines[end + 1:]), end + 2, key_lines


def _unbuildable_line(block: str) -> int:
    """The file line of the first front-matter value YAML parses but cannot build (1 if unknown)."""
    try:
        loader = _YAML_LOADER(block)
        root = loader.get_single_node()
        for _key, value in getattr(root, "value", None) or []:
            try:
                loader.construct_object(value, deep=True)
            except Exception:  # whatever the value's constructor raised
                return value.start_mark.line + 2
    except Exception:  # the document as a whole cannot be composed: no better line to give
        pass
    return 1


class _Fields:
    """Typed access to front-matter values, raising problems that name the key and line."""

    def __init__(self, meta: dict, key_lines: dict[str, int], relpath: str):
        self.meta, self.key_lines, self.relpath = meta, key_lines, relpath

    def fail(self, key: str, message: str) -> ArticleError:
        return ArticleError(Problem(self.relpath, self.key_lines.get(key, 1), f"`{key}`: {message}"))

    def text(self, key: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise self.fail(key, "expected text, got a " + type(value).__name__)
        return str(value).strip()

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key) or default
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.meta.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [part for part in re.split(r"[,，]", value)]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
            raise self.fail(key, "expected a list of text, e.g. [a, b]")
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))

    def flag(self, key: str) -> bool:
        value = self.meta.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def date(self, key: str, default: str) -> str:
        value = self.meta.get(key)
        if value is None:
            return default
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise self.fail(key, f"expected a date like 2026-11-01, not {value!r}") from None


def read_article_bytes(path: Path, root: Path) -> bytes:
    """The raw bytes of an article file, refusing what must never be read.

    A symlink that resolves outside `root` is refused without reading its target.
    """
    return read_article_file(path, root)[0]


def read_article_file(path: Path | str, root: Path,
                      relpath: str | None = None) -> tuple[bytes, os.stat_result]:
    """`read_article_bytes` and the status of the file read (the file a symlink names); the caller
    that scanned the folder gives the file's `relpath` under `root` (no path arithmetic per file)."""
    if relpath is None:
        relpath = Path(path).relative_to(root).as_posix()
    if os.path.islink(path) and not Path(path).resolve().is_relative_to(root.resolve()):
        raise ArticleError(Problem(relpath, 0, "symlink points outside the articles folder; not read"))
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_size > MAX_ARTICLE_BYTES:
                raise ArticleError(Problem(relpath, 0, f"file is {status.st_size:,} bytes; articles are "
                                           f"limited to 1 MB ({MAX_ARTICLE_BYTES:,} bytes)"))
            return handle.read(), status
    except OSError as exc:
        raise ArticleError(Problem(relpath, 0, f"cannot read: {exc.strerror or exc}")) from None


def load_article(path: Path, root: Path) -> Article:
    """Read and validate the article at `path` (inside the folder `root`)."""
    data = read_article_bytes(path, root)
    return parse_article(data, path.relative_to(root).as_posix(), default_updated=file_date(path))


def file_date(path: Path) -> str:
    """The file's modification date, the default for `updated:`."""
    try:
        return status_date(path.stat())
    except OSError:
        return ""


def status_date(status: os.stat_result) -> str:
    """`file_date` of a file whose status is `status`."""
    return dt.date.fromtimestamp(status.st_mtime).isoformat()


def parse_article(data: bytes, relpath: str, default_updated: str = "",
                  default_category: str = "") -> Article:
    """Parse an article's raw bytes; `relpath` gives its default id and category.

    Whatever goes wrong is this article's `ArticleError` (file and line), never the run's:
    one broken file must not stop `kb check`, `kb index` or the live indexer."""
    try:
        return _parse_article(data, relpath, default_updated, default_category)
    except ArticleError:
        raise
    except Exception as exc:  # a bug or a library's surprise on odd input: still this file's problem
        reason = (str(exc).splitlines() or [""])[0][:200]
        raise ArticleError(Problem(relpath, 1,
                                   f"could not be read ({type(exc).__name__}: {reason})")) from exc


def _parse_article(data: bytes, relpath: str, default_updated: str, default_category: str) -> Article:
    text, encoding = read_source(data, relpath)
    meta, body, body_line, key_lines = split_front_matter(text, relpath)
    if not meta and not body.strip():
        raise ArticleError(Problem(relpath, 1, "empty file: write a `# Title` and the answer, "
                                   "or delete the file"))
    fields = _Fields(meta, key_lines, relpath)
    fixed_lang = fields.text("lang") or fields.text("language") or fields.text("locale")
    if fixed_lang and fixed_lang not in LANGS:
        fixed_lang = _LANG_ALIASES.get(fixed_lang.lower().replace("_", "-"), fixed_lang)
        if fixed_lang not in LANGS:
            key = next(k for k in ("lang", "language", "locale") if fields.text(k))
            raise fields.fail(key, f"must be one of {', '.join(LANGS)}, not {fixed_lang!r}")
    questions = tuple(dict.fromkeys(fields.text_list("questions") + tuple(
        a for a in fields.text_list("aliases") if not a.startswith("/"))))  # Hugo aliases are URLs
    title = fields.text("title")
    parsed = parse_body(body, title, body_line, fixed_lang or None,
                        detect=lambda prose: detect_lang(" ".join((prose, *questions))))
    title = title or parsed.h1 or fields.text("sidebar_label") or title_from_path(relpath)
    lang = fixed_lang or detect_lang(" ".join((title, *questions, parsed.prose)))

    article_id = fields.text("id") or article_id_for(relpath)
    if not is_valid_id(article_id):
        raise fields.fail("id", f"{article_id!r} is not a valid id ('/'-separated parts; no empty, "
                                "'.' or '..' parts, control characters or backslashes)")
    parts = relpath.split("/")
    summary = fields.text("summary") or fields.text("description") or _clip(parsed.summary)
    updated = default_updated
    for key in ("updated", "last_update", "lastUpdated", "modified", "lastmod", "date"):
        if key in meta and not isinstance(meta[key], (dict, list, bool)):
            updated = fields.date(key, default_updated)
            break
    unknown = tuple((key, key_lines.get(str(key), 1)) for key in meta if key not in ACCEPTED_KEYS)
    return Article(
        id=article_id,
        path=relpath,
        title=title,
        lang=lang,
        category=(fields.text("category") or default_category
                  or (parts[0] if len(parts) > 1 else DEFAULT_CATEGORY)),
        tags=tuple(dict.fromkeys(fields.text_list("tags") + fields.text_list("keywords"))),
        questions=questions,
        summary=summary,
        related=fields.text_list("related"),
        visibility=fields.choice("visibility", VISIBILITIES, "public"),
        updated=updated,
        body=body,
        body_line=body_line,
        sections=tuple(dataclasses.replace(s, heading=title) if s.level == 1 else s for s in parsed.sections),
        source_hash=hashlib.sha1(data).hexdigest(),
        unknown_keys=unknown,
        draft=fields.flag("draft"),
        translations=fields.text_list("translations"),
        anchors=tuple(parsed.anchors),
        links=tuple(parsed.links),
        template_tags=tuple(parsed.template_tags),
        encoding=encoding,
        slug=(fields.text("slug") or fields.text("permalink")).strip("/"),
    )


_LANG_ALIASES = {"zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh-hant": "zh", "zh-hk": "zh",
                 "cn": "zh", "chinese": "zh", "en-us": "en", "en-gb": "en", "english": "en"}


def title_from_path(relpath: str) -> str:
    """A title from the file name: `getting-started.md` → 'Getting started'; `x/index.md` → 'x'."""
    parts = article_id_for(relpath).split("/")
    name = parts[-1]
    if name.lower() in ("index", "readme", "_index") and len(parts) > 1:
        name = parts[-2]
    name = re.sub(r"^\d+[-_. ]+(?=\D)", "", name)  # ordering prefixes: 01-intro
    name = re.sub(r"[-_]+", " ", name).strip() or name
    return name[:1].upper() + name[1:]


def front_matter_tags(data: bytes, relpath: str) -> tuple[str, ...]:
    """Just the `tags:` of an article, () when it cannot be read; cheap, for dictionaries."""
    try:
        meta, _, _, key_lines = split_front_matter(decode_source(data, relpath), relpath)
        return _Fields(meta, key_lines, relpath).text_list("tags")
    except ArticleError:
        return ()


_ID_COLON = re.compile(rb"id[\"']?\s*[:=]")  # found fast: the pattern starts with a literal


def _has_id_key(data: bytes) -> bool:
    """Whether `data` holds anything that could be the front matter's key `id` (`id:`, `"id" :`,
    `{…, id: …}`, TOML's `id = …`), not just words ending in "id" (`android:`): the front matter
    of the other files is not parsed (100,000 articles: 1.9 → 0.1 s before the workers start). A
    UTF-16 file's bytes do not spell its keys: it may have one."""
    if data.startswith(UTF16_MARKS):
        return True
    for match in _ID_COLON.finditer(data):
        start = match.start()
        before = data[start - 1:start]
        if before in (b'"', b"'"):
            before = data[start - 2:start - 1]
        if not before or not (before.isalnum() or before in (b"_", b"-")):
            return True
    return False


def front_matter_id(data: bytes, relpath: str) -> str | None:
    """The id `parse_article` gives the article if it parses (its `id:`, else one from its path),
    None when its front matter cannot be read; cheap, for deciding duplicate ids ahead."""
    if not _has_id_key(data):  # no `id:` key: the id comes from the path
        return article_id_for(relpath)
    try:
        meta, _, _, key_lines = split_front_matter(decode_source(data, relpath), relpath)
        return _Fields(meta, key_lines, relpath).text("id") or article_id_for(relpath)
    except ArticleError:
        return None


def _clip(paragraph: str) -> str:
    if len(paragraph) <= SUMMARY_CHARS:
        return paragraph
    return paragraph[: SUMMARY_CHARS - 1].rstrip() + "…"
