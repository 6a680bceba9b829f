"""The articles folder as a whole: which files are articles, the domain dictionary
(`_dict.txt`) and synonym groups (`_synonyms.txt`), and loading everything at once.

There is one way to load articles, used by `kb check`, `kb new` and the indexer alike:
`read_sources` (every article file, read once, in path order) → `parse_source` →
`check_duplicate` in that same path order, so a duplicate `id` always stays with the
file whose path sorts first and the later file is the one blamed. Markdown files that
are not articles (names starting with `_`) are never skipped in silence: `ignored_files`
says why, and `kb check` reports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.articles import (
    ARTICLE_SUFFIXES,
    Article,
    decode_source,
    parse_article,
    read_article_bytes,
    read_article_file,
    status_date,
)
from kb.errors import ArticleError, Problem

DICTIONARY_FILE = "_dict.txt"
SYNONYMS_FILE = "_synonyms.txt"
# Part-of-speech tags jieba's dictionaries use; a last word that is one of these is a tag.
POS_TAGS = frozenset("a ad ag an b c d df dg e eng f g h i j k l m mg mq n ng nr nrfg nrt ns nt nz o p q "
                     "r rg rr rz s t tg u ud ug uj ul uv uz v vd vg vi vn vq x y z zg".split())


@dataclass
class Lexicon:
    """Domain words that must stay whole, and query-time synonym groups."""

    words: list[tuple[str, int | None, str | None]] = field(default_factory=list)  # (word, freq, tag)
    synonyms: list[list[str]] = field(default_factory=list)

    def with_tags(self, articles: list[Article]) -> Lexicon:
        """This lexicon plus every article tag as a domain word (tags are terms)."""
        known = {word for word, _, _ in self.words}
        extra = sorted({tag for a in articles for tag in a.tags if tag not in known})
        return Lexicon(self.words + [(tag, None, None) for tag in extra], self.synonyms)


@dataclass
class Corpus:
    """Every article that loaded, every problem found, and the lexicon."""

    articles: list[Article]
    problems: list[Problem]
    lexicon: Lexicon


@dataclass
class Source:
    """One article file as read from disk: its bytes or the problem reading it."""

    relpath: str
    data: bytes | None
    updated: str
    problem: Problem | None = None
    category: str = ""  # the label of its top folder (`folder_labels`), the default category
    key: tuple[int, int, int] | None = None  # `file_key` when read (or found unchanged)
    unread: bool = False  # unchanged since the caller last read it (`read_sources(known=…)`): data is None


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


def is_markdown_path(relpath: str) -> bool:
    return relpath.lower().endswith(ARTICLE_SUFFIXES)


def is_article_path(relpath: str) -> bool:
    """Markdown files (`.md`, `.mdx`, `.markdown`) whose name and folders do not start
    with `_` or `.`."""
    parts = relpath.split("/")
    return is_markdown_path(relpath) and not any(p.startswith(("_", ".")) for p in parts)


def _markdown_files(root: Path):
    """(relpath, path) of every Markdown file or symlink under `root` (os.walk: no stat per file)."""
    for path, relpath in _markdown_file_names(root):
        yield relpath, Path(path)


def _markdown_file_names(root: Path):
    """(path, relpath) strings of every Markdown file or symlink under `root`."""
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in files:
            if is_markdown_path(name):
                yield os.path.join(folder, name), (name if prefix == "." else f"{prefix}/{name}")


def _article_files(root: Path) -> list[tuple[str, str]]:
    """(relpath, path) strings of all article files under `root`, sorted by relative path."""
    return sorted((relpath, path) for path, relpath in _markdown_file_names(root) if is_article_path(relpath))


def scan_article_paths(root: Path) -> list[Path]:
    """All article files under `root`, sorted by relative path."""
    return [Path(path) for _, path in _article_files(root)]


def ignored_files(root: Path) -> list[Problem]:
    """A warning for each Markdown file that is not read as an article, saying why.

    Hidden folders (`.git`, `.obsidian`, `.vitepress`…) are tools' own and are not listed."""
    found = []
    for relpath, _ in sorted(_markdown_files(root)):
        parts = relpath.split("/")
        if is_article_path(relpath) or any(p.startswith(".") for p in parts[:-1]):
            continue
        why = next(p for p in parts if p.startswith(("_", ".")))
        found.append(Problem(relpath, 0, f"not an article: {why!r} starts with '{why[0]}', which marks "
                             "partials and drafts; rename it to publish the page", level="warning"))
    return found


def file_key(path: Path | str) -> tuple[int, int, int] | None:
    """(size, modification time in ns, inode) of the file `path` names (a symlink's target), or None."""
    try:
        return _key(os.stat(path))
    except OSError:
        return None


def _key(status: os.stat_result) -> tuple[int, int, int]:
    return status.st_size, status.st_mtime_ns, status.st_ino


def read_sources(root: Path, progress: Progress = _no_progress,
                 known: dict[str, tuple[int, int, int]] | None = None) -> dict[str, Source]:
    """Every article file under `root`, read once, in path order.

    `known` (relpath → `file_key`) names files whose content the caller already holds (the
    indexer: the version in the index): a file whose size, modification time and inode are
    all unchanged is not read again; its Source is `unread`, with no data. Folder index
    pages are always read (their titles label the folders)."""
    sources = {}
    files = _article_files(root)
    for done, (relpath, path) in enumerate(files, start=1):
        progress("reading", done, len(files))
        if known:  # (an empty `known`: every file is read, no need to look first)
            key = file_key(path)
            name = relpath.rsplit("/", 1)[-1]
            if key is not None and known.get(relpath) == key and name not in _INDEX_NAMES:
                sources[relpath] = Source(relpath, None, "", key=key, unread=True)
                continue
        try:
            data, status = read_article_file(path, root, relpath)
        except ArticleError as exc:
            sources[relpath] = Source(relpath, None, "", exc.problem)
            continue
        # The key of the very version read (its status taken from the open file).
        key = _key(status) if known is not None else None
        sources[relpath] = Source(relpath, data, status_date(status), key=key)
    labels = folder_labels(root, sources)
    for relpath, source in sources.items():
        if "/" in relpath:
            source.category = labels.get(relpath.split("/", 1)[0], "")
    return sources


_INDEX_NAMES = ("index.md", "index.mdx", "README.md", "readme.md", "_index.md")


def folder_labels(root: Path, sources: dict[str, Source]) -> dict[str, str]:
    """Top folder → its label, from the doc tools' own files: Docusaurus `_category_.json`
    (or `.yml`) `label`, MkDocs awesome-pages `.pages` `title`, else the title of the
    folder's `index.md`/`README.md`. Folders without one keep their name."""
    labels = {}
    for folder in sorted({relpath.split("/", 1)[0] for relpath in sources if "/" in relpath}):
        base = root / folder
        label = ""
        for name in ("_category_.json", "_category_.yml", "_category_.yaml", ".pages"):
            label = _label_file(base / name, "title" if name == ".pages" else "label")
            if label:
                break
        if not label:
            for name in _INDEX_NAMES:
                source = sources.get(f"{folder}/{name}")
                if source is not None and source.data is not None:
                    try:
                        label = parse_article(source.data, source.relpath).title
                    except ArticleError:
                        label = ""
                    break
        if label:
            labels[folder] = label
    return labels


def _label_file(path: Path, key: str) -> str:
    """The `key` of a small JSON/YAML file; '' when it is absent or unreadable."""
    try:
        if not path.is_file() or path.stat().st_size > 100_000:
            return ""
        data = yaml.load(path.read_text("utf-8-sig"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        return ""
    value = data.get(key) if isinstance(data, dict) else None
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def parse_source(source: Source) -> Article:
    """The article in `source`, or `ArticleError` naming why it cannot be read."""
    if source.problem:
        raise ArticleError(source.problem)
    return parse_article(source.data, source.relpath, default_updated=source.updated,
                         default_category=source.category)


def load_lexicon(root: Path) -> tuple[Lexicon, list[Problem]]:
    """Read `_dict.txt` (jieba format: `word [freq] [tag]`) and `_synonyms.txt`."""
    problems: list[Problem] = []
    lexicon = Lexicon()
    for _, line in _data_lines(root / DICTIONARY_FILE, problems):
        lexicon.words.append(parse_dictionary_line(line))
    for n, line in _data_lines(root / SYNONYMS_FILE, problems):
        group = list(dict.fromkeys(t.strip() for t in line.replace("，", ",").split(",") if t.strip()))
        if len(group) < 2:
            problems.append(Problem(SYNONYMS_FILE, n, "a synonym group needs at least two terms, "
                                    "separated by commas", level="warning"))
            continue
        lexicon.synonyms.append(group)
    return lexicon, problems


def parse_dictionary_line(line: str) -> tuple[str, int | None, str | None]:
    """`word [freq] [tag]` as jieba reads it; the word itself may contain spaces (Apple Pay)."""
    parts = line.split()
    tag = parts.pop() if len(parts) > 1 and parts[-1] in POS_TAGS else None
    freq = int(parts.pop()) if len(parts) > 1 and parts[-1].isascii() and parts[-1].isdigit() else None
    return " ".join(parts), freq, tag


def _data_lines(path: Path, problems: list[Problem]):
    """(line number, text) of the non-blank, non-comment lines of an optional file."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        # Read like an article: no symlink out of the folder, at most 1 MB, UTF-8.
        text = decode_source(read_article_bytes(path, path.parent), path.name)
    except ArticleError as exc:
        problems.append(exc.problem)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield n, line


@dataclass
class _Holder:
    id: str
    path: str


def claimed_ids(holders: dict[str, str], sources: dict) -> dict[str, _Holder]:
    """The ids already held by a file (id → path, from the current index), for files that
    still exist: a newcomer copying such an id never displaces the article that had it."""
    return {article_id: _Holder(article_id, path) for article_id, path in holders.items() if path in sources}


def load_corpus(root: Path, holders: dict[str, str] | None = None) -> Corpus:
    """Load every article under `root`; problems are collected, never raised.

    When two files claim the same id, the file holding it in the index (`holders`,
    id → path) keeps it, else the first by path; the other is reported with both paths
    named. The indexer resolves it the same way."""
    articles: list[Article] = []
    lexicon, problems = load_lexicon(root)
    problems += ignored_files(root)
    sources = read_sources(root)
    by_id: dict = claimed_ids(holders or {}, sources)
    for source in sources.values():
        try:
            article = parse_source(source)
        except ArticleError as exc:
            problems.append(exc.problem)
            continue
        duplicate = check_duplicate(article, by_id)
        if duplicate:
            problems.append(duplicate)
            continue
        by_id[article.id] = article
        articles.append(article)
    return Corpus(articles, problems, lexicon.with_tags(articles))


def check_duplicate(article: Article, by_id: dict) -> Problem | None:
    """A problem when `article`'s id is already taken by another file in `by_id`
    (articles are taken in path order, so `article` is the later file)."""
    other = by_id.get(article.id)
    if other is None or other.path == article.path:
        return None
    return Problem(article.path, 1, f"duplicate id {article.id!r}: also used by {other.path}, which "
                   "keeps it; give this file another `id:`")
