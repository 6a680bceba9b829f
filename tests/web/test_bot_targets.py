"""The answer bot's targets (issue 12) on the starter knowledge base: the golden questions
and the off-topic ones, through the same decisions as /api/ask (`kb eval --triage`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.evaluate import read_queries, triage
from search.indexer import sync_index
from search.searcher import SearchIndex
from web.bot import reply

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("starter") / "index"
    sync_index(ROOT / "articles", index_dir)
    index = SearchIndex(index_dir)
    judgements = read_queries(ROOT / "tests/golden_queries.tsv") + read_queries(
        ROOT / "tests/offtopic_queries.tsv"
    )

    def answered(question):
        answer = reply(index, question).answer
        return answer.article_id if answer else None

    yield triage(judgements, answered).summary()
    index.close()


def test_there_are_enough_off_topic_questions(figures):
    assert figures["off_topic"] >= 30 and figures["on_topic"] >= 90


def test_golden_questions_are_answered_from_the_right_article(figures):
    assert figures["on_topic_answered_correctly"] >= 0.85


def test_off_topic_questions_are_handed_over_and_few_answers_are_wrong(figures):
    assert figures["off_topic_handed_over"] >= 0.90
    assert figures["answered_wrongly_of_all"] <= 0.05
