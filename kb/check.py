"""`kb check`: every problem in the articles folder, errors and warnings.

Loading problems (bad YAML, empty files, encoding, size, symlinks, duplicate ids) are
errors. Unknown front-matter keys (with the nearest known key as a hint), `related:` ids,
links and images that resolve to no article, anchor or file (`kb.links`, the renderer's
rules), Markdown files that are not read as articles, another site's template tags left in
the text (`{{< ref "x" >}}`, `{% include x %}`: shown as written) and empty bodies are
warnings.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from kb.articles import ENCODING_NAMES, KNOWN_KEYS, Article
from kb.corpus import load_corpus
from kb.errors import Problem
from kb.links import LinkMap, media_file
from kb.site import SITE_FILE, load_site


def check_articles(root: Path, holders: dict[str, str] | None = None) -> list[Problem]:
    """All problems under `root`, sorted by file and line.

    `holders` (id → path, from the current index) lets duplicate ids resolve as the next
    build will (see `kb.corpus.load_corpus`)."""
    corpus = load_corpus(root, holders)
    ids = {a.id: a for a in corpus.articles}
    links = LinkMap.from_articles(corpus.articles)
    problems = list(corpus.problems)
    site, site_problems = load_site(root)
    problems += site_problems
    for article_id in site.featured:
        if article_id not in ids:
            problems.append(Problem(SITE_FILE, _line_of(root / SITE_FILE, "featured"),
                                    f"`featured` names {article_id!r}, which is no article", level="warning"))
    for article in corpus.articles:
        problems += _article_warnings(article, ids, links, root)
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))


def _article_warnings(article: Article, ids: dict[str, Article], links: LinkMap, root: Path) -> list[Problem]:
    found = []
    for key, line in article.unknown_keys:
        hint = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
        found.append(Problem(article.path, line, f"unknown front-matter key `{key}`"
                             + (f"; did you mean `{hint[0]}`?" if hint else ""), level="warning"))
    for related in article.related:
        if related not in ids:
            found.append(Problem(article.path, 1, f"`related:` names {related!r}, which is no article",
                                 level="warning"))
    for url, line, kind in article.links:
        if kind in ("wikilink", "embed"):
            name, _, heading = url.partition("#")
            target = links.resolve_wikilink(name, heading, article.path, article.id)
        else:
            target = links.resolve(url, article.path, article.id)
        problem = _link_problem(article, url, target, ids, root)
        if problem:
            found.append(Problem(article.path, line, problem, level="warning"))
    for tag, line in article.template_tags:
        tool = "Hugo shortcode" if tag.startswith("{{") else "template tag (Liquid, Jinja, GitBook)"
        shown = tag if len(tag) <= 60 else tag[:57] + "…"
        found.append(Problem(article.path, line, f"{tool} `{shown}` is shown as written: kb does not run "
                             "another site's templates; replace it with Markdown", level="warning"))
    if article.encoding != "utf-8":
        found.append(Problem(article.path, 1, f"not UTF-8: read as {ENCODING_NAMES[article.encoding]}; "
                             "save it as UTF-8 so every tool reads it the same", level="warning"))
    if not article.body.strip():
        found.append(Problem(article.path, article.body_line, "empty body: only the title and questions "
                             "will be searchable", level="warning"))
    return found


def _link_problem(article: Article, url: str, target, ids: dict[str, Article], root: Path) -> str | None:
    if target.kind == "missing":
        return f"link to {url!r}: no such article or file"
    if target.kind == "file":
        if not media_file(root, target.path):
            return f"link to {url!r}: no file {target.path} in the articles folder"
        return None
    if target.kind == "article" and target.anchor:
        other = ids.get(target.article_id)
        if other is not None and target.anchor not in other.anchors \
                and not (target.anchor == "overview" and other.sections):
            return f"link to {url!r}: {target.article_id} has no section #{target.anchor}"
    return None



def _line_of(path: Path, key: str) -> int:
    try:
        lines = path.read_text("utf-8-sig").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, line in enumerate(lines, start=1) if line.startswith(key + ":")), 1)
