"""The articles folder as a whole: which files are articles, the domain dictionary
(`_dict.txt`) and synonym groups (`_synonyms.txt`), and loading everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.articles import Article, decode_source, load_article, read_article_bytes
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


def is_article_path(relpath: str) -> bool:
    """Markdown files whose name and folders do not start with `_` or `.`."""
    parts = relpath.split("/")
    return relpath.endswith(".md") and not any(p.startswith(("_", ".")) for p in parts)


def scan_article_paths(root: Path) -> list[Path]:
    """All article files under `root`, sorted by relative path."""
    found = []
    for path in root.rglob("*.md"):
        relpath = path.relative_to(root).as_posix()
        if is_article_path(relpath) and (path.is_file() or path.is_symlink()):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


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


def load_corpus(root: Path) -> Corpus:
    """Load every article under `root`; problems are collected, never raised.

    When two files claim the same id, the first by path wins and the other is
    reported with both paths named.
    """
    articles: list[Article] = []
    lexicon, problems = load_lexicon(root)
    by_id: dict[str, Article] = {}
    for path in scan_article_paths(root):
        try:
            article = load_article(path, root)
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


def check_duplicate(article: Article, by_id: dict[str, Article]) -> Problem | None:
    """A problem when `article`'s id is already taken by another file in `by_id`."""
    other = by_id.get(article.id)
    if other is None or other.path == article.path:
        return None
    return Problem(article.path, 1, f"duplicate id {article.id!r}: also used by {other.path}")
