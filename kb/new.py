"""`kb new`: start an article with complete front matter, in the right folder.

The file name is an ASCII slug of the title (pinyin for Chinese), so URLs stay
readable; the folder is the one that already holds articles of that category.
An existing file is never overwritten: a number is added to the name instead.
The article starts as a draft (`draft: true`): agents see and preview it, the public
does not, until the editor removes that line.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin

from kb.articles import article_id_for, detect_lang
from kb.corpus import load_corpus

MAX_SLUG = 60
DRAFT_LINE = "draft: true  # agents only until you remove this line\n"


def file_slug(title: str) -> str:
    """`支付失败怎么办` → `zhi-fu-shi-bai-zen-me-ban`; `Where is my refund?` → `where-is-my-refund`."""
    words = " ".join(lazy_pinyin(title)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "article"


def category_folder(root: Path, category: str | None) -> Path:
    """The folder whose articles most often have `category`, or `root` itself."""
    if not category:
        return root
    counts: dict[Path, int] = {}
    for article in load_corpus(root).articles:
        if article.category == category:
            folder = (root / article.path).parent
            counts[folder] = counts.get(folder, 0) + 1
    return max(counts, key=lambda folder: (counts[folder], str(folder))) if counts else root


def create_article(root: Path, title: str, category: str | None = None, lang: str | None = None,
                   internal: bool = False, today: dt.date | None = None) -> Path:
    """Write a new article file and return its path."""
    title = title.strip()
    if not title:
        raise ValueError("the title is empty")
    folder = category_folder(root, category)
    slug = file_slug(title)
    path = folder / f"{slug}.md"
    n = 2
    while path.exists() or path.is_symlink():
        path = folder / f"{slug}-{n}.md"
        n += 1
    front_matter = {
        "title": title,
        "id": article_id_for(path.relative_to(root).as_posix()),
        "lang": lang or detect_lang(title),
    }
    if category:  # without one, the default applies: the first folder, as for any article
        front_matter["category"] = category
    front_matter.update(tags=[], questions=[], summary="", related=[],
                        visibility="internal" if internal else "public",
                        updated=(today or dt.date.today()).isoformat())
    text = ("---\n" + yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False,
                                     default_flow_style=None) + DRAFT_LINE + "---\n")
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(text)
    return path
