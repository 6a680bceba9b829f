"""The public searches a knowledge base as if internal articles and drafts did not exist
(issue 13): no word of theirs leaks through did-you-mean, and adding one changes no public
score or rank."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search.indexer import sync_index
from search.searcher import SearchIndex
from tests.search.conftest import ARTICLES, write_article

INTERNAL = ("---\ntitle: zorblaxquux supervisor playbook\nvisibility: internal\nlang: en\n"
            "questions:\n  - When do I escalate a refund ticket to a supervisor?\n---\n\n"
            "## Escalate the ticket\n\nEscalate refund tickets that wait longer than five days.\n")
DRAFT = ("---\ntitle: Quuxblorf card delivery draft\ndraft: true\nlang: en\n---\n\n"
         "Cards arrive within a week, posted within two working days; card delivery card delivery.\n")


@pytest.fixture
def public_only(tmp_path: Path) -> Path:
    folder = tmp_path / "public"
    folder.mkdir()
    for article_id, (title, questions, body) in ARTICLES.items():
        write_article(folder, article_id, title, questions, body)
    return folder


def _open(folder: Path, index_dir: Path) -> SearchIndex:
    sync_index(folder, index_dir)
    return SearchIndex(index_dir)


def test_internal_words_never_leak_through_did_you_mean(public_only, tmp_path):
    (public_only / "playbook.md").write_text(INTERNAL, "utf-8")
    index = _open(public_only, tmp_path / "index")
    try:
        for typo, word in (("zorblaxqux", "zorblaxquux"), ("supervisr", "supervisor"),
                           ("playbok", "playbook")):
            public = index.search(typo)
            assert public.did_you_mean is None and public.total == 0, typo
            assert word in (index.search(typo, internal=True).did_you_mean or ""), typo
    finally:
        index.close()


def test_adding_internal_articles_and_drafts_changes_no_public_score(public_only, tmp_path):
    queries = ["card delivery", "refund", "my refund has not arrived", "escalate refund ticket",
               "where is my new card", "top up failed"]
    before = _open(public_only, tmp_path / "before")
    with_hidden = tmp_path / "with-hidden"
    shutil.copytree(public_only, with_hidden)
    (with_hidden / "playbook.md").write_text(INTERNAL, "utf-8")
    (with_hidden / "draft.md").write_text(DRAFT, "utf-8")
    after = _open(with_hidden, tmp_path / "after")
    try:
        for query in queries:
            old, new = before.search(query), after.search(query)
            assert [(a.id, a.score) for a in old.articles] == [(a.id, a.score) for a in new.articles], query
            assert [(a.article_id, a.anchor, a.score) for a in old.answers] == \
                   [(a.article_id, a.anchor, a.score) for a in new.answers], query
            assert old.total == new.total, query
        assert after.search("escalate refund ticket", internal=True).articles[0].id == "playbook"
    finally:
        before.close()
        after.close()


def test_unknown_categories_are_not_cached(public_only, tmp_path):
    index = _open(public_only, tmp_path / "index")
    try:
        for n in range(50):
            assert index.search("card", category=f"nope-{n}").articles == []
        assert not [key for key in index._current().allowed if key[1]]  # no category cached
    finally:
        index.close()
