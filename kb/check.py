"""`kb check`: every problem in the articles folder, errors and warnings.

Loading problems (bad YAML, missing title, encoding, size, symlinks, duplicate
ids) are errors. Unknown front-matter keys (with the nearest known key as a hint),
`related:` ids and internal links that point nowhere, and empty bodies are
warnings.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from kb.articles import KNOWN_KEYS, Article
from kb.corpus import load_corpus
from kb.errors import Problem
from kb.render import resolve_link

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def check_articles(root: Path) -> list[Problem]:
    """All problems under `root`, sorted by file and line."""
    corpus = load_corpus(root)
    ids = {a.id: a for a in corpus.articles}
    problems = list(corpus.problems)
    for article in corpus.articles:
        problems += _article_warnings(article, ids)
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))


def _article_warnings(article: Article, ids: dict[str, Article]) -> list[Problem]:
    found = []
    for key, line in article.unknown_keys:
        hint = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
        found.append(Problem(article.path, line, f"unknown front-matter key `{key}`"
                             + (f"; did you mean `{hint[0]}`?" if hint else ""), level="warning"))
    for related in article.related:
        if related not in ids:
            found.append(Problem(article.path, 1, f"`related:` names {related!r}, which is no article",
                                 level="warning"))
    for n, line in enumerate(article.body.split("\n"), start=article.body_line):
        for match in _LINK.finditer(line):
            target = _link_target(article, match.group(1))
            if target is None:
                continue
            article_id, anchor = target
            other = ids.get(article_id)
            if other is None:
                found.append(Problem(article.path, n, f"link to {match.group(1)!r}: no such article",
                                     level="warning", col=match.start() + 1))
            elif anchor and anchor not in {s.anchor for s in other.sections}:
                found.append(Problem(article.path, n, f"link to {match.group(1)!r}: {article_id} has no "
                                     f"section #{anchor}", level="warning", col=match.start() + 1))
    if not article.body.strip():
        found.append(Problem(article.path, article.body_line, "empty body: only the title and questions "
                             "will be searchable", level="warning"))
    return found


def _link_target(article: Article, url: str) -> tuple[str, str] | None:
    """(article id, anchor) for links to other articles; None for external links."""
    path, _, anchor = url.partition("#")
    if path.startswith("/articles/"):
        return path[len("/articles/"):], anchor
    if path.endswith(".md") and not re.match(r"^\w+:", path):
        return resolve_link(article.path, path), anchor
    return None
