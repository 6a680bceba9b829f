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



def _asdict_record(record: ArticleRecord) -> dict:
    """`to_dict` as it was first written: `dataclasses.asdict`, the answer by `Unit.to_dict`."""
    from dataclasses import asdict

    data = asdict(record)
    if record.answer is None:
        del data["answer"]
    else:
        data["answer"] = record.answer.to_dict()
    return data


def test_to_dict_is_asdict_with_its_keys_in_order_and_nothing_shared_on_every_starter_article():
    from pathlib import Path

    from kb.corpus import parse_source, read_sources

    root = Path(__file__).resolve().parents[2] / "articles"
    records = [ArticleRecord.from_article(parse_source(s)) for s in read_sources(root).values()]
    records.append(ArticleRecord.from_stored(article_documents(
        parse_article(SOURCE.encode(), "payments/refund.md"), SOURCE, Analyzer())[0]["data"]))
    assert len(records) > 30 and any(r.answer is not None for r in records)
    assert any(r.sections for r in records)
    for record in records:
        data, expected = record.to_dict(), _asdict_record(record)
        assert data == expected and list(data) == list(expected)
        assert data["sections"] is not record.sections and data["tags"] is not record.tags
        assert all(a is not b for a, b in zip(data["sections"], record.sections, strict=True))


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
