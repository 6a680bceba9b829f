"""The starter knowledge base answers the team's golden queries (tests/golden_queries.tsv)."""

from pathlib import Path

from kb.evaluate import evaluate, read_queries
from search.indexer import sync_index
from search.searcher import SearchIndex

ROOT = Path(__file__).resolve().parents[2]


def test_golden_queries_hit_at_3(tmp_path):
    report = sync_index(ROOT / "articles", tmp_path / "index")
    assert report.problems == []
    judgements = read_queries(ROOT / "tests" / "golden_queries.tsv")
    assert len(judgements) >= 80
    index = SearchIndex(tmp_path / "index")
    result = evaluate(judgements, lambda q: [a.id for a in index.search(q, limit=10).articles])
    misses = [(o.query, o.rank) for o in result.outcomes if not o.rank or o.rank > 3]
    assert result.hit_at(3) >= 0.9, misses
