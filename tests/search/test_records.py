"""Typed records: what the indexer stores reads back as the same record, and one visibility rule."""

from __future__ import annotations

import pytest

from kb.articles import parse_article
from search.analysis import Analyzer
from search.documents import article_documents
from search.records import ArticleRecord, Unit, is_public

SOURCE = ("---\ntitle: 退款多久到账\nquestions: [退款什么时候到]\ntags: [退款]\n---\n"
          "退款一般 1 到 3 个工作日到账。\n")


def test_the_stored_record_reads_back_as_the_record_and_stores_as_before():
    article = parse_article(SOURCE.encode(), "payments/refund.md")
    doc = article_documents(article, SOURCE, Analyzer())[0]
    stored = doc["data"]
    record = ArticleRecord.from_stored(stored)
    assert record.to_dict() == stored
    assert record.title == "退款多久到账" and record.questions == ["退款什么时候到"]
    assert isinstance(record.answer, Unit) and "1 到 3 个工作日" in record.answer.text
    # Dict-style reading keeps working for code that still reads stored keys.
    assert record["title"] == record.title and "answer" in record and record.get("nothing", 7) == 7
    # Keys written by a newer kb are ignored, not fatal.
    assert ArticleRecord.from_stored({**stored, "future_field": 1}) == record


@pytest.mark.parametrize(("visibility", "draft", "public", "searched"), [
    ("public", False, True, "public"),
    ("internal", False, False, "internal"),
    ("public", True, False, "draft"),
    ("internal", True, False, "draft"),
])
def test_one_visibility_rule(visibility, draft, public, searched):
    article = parse_article(SOURCE.encode(), "payments/refund.md")
    record = ArticleRecord.from_article(article)
    record.visibility, record.draft = visibility, draft
    assert is_public(record) is public and is_public(record.to_dict()) is public
    assert record.visible_to(internal=False) is public and record.visible_to(internal=True)
    assert record.searched_visibility == searched
    assert "answer" not in ArticleRecord.from_article(article)
