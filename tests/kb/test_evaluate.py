"""Quality metrics and the `kb eval` command."""

import json
import subprocess
import sys

import pytest

from kb.evaluate import Judgement, QueriesFileError, evaluate, read_queries


def test_metrics_from_ranks():
    rankings = {"a": ["x", "y"], "b": ["y", "z", "x"], "c": ["n"] * 10 + ["x"]}
    result = evaluate([Judgement(q, frozenset({"x"})) for q in rankings], lambda q: rankings[q])
    assert [o.rank for o in result.outcomes] == [1, 3, None]
    assert result.mrr == pytest.approx((1 + 1 / 3) / 3)
    assert (result.hit_at(1), result.hit_at(3)) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert [o.query for o in result.worst()] == ["c", "b"]


def test_queries_file_errors_name_the_line(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("# comment\n退款\trefund-timeline\nno tab here\n", "utf-8")
    with pytest.raises(QueriesFileError, match=r"q.tsv:3"):
        read_queries(path)


def test_kb_eval_command(kb_dir, index_dir, tmp_path):
    queries = tmp_path / "queries.tsv"
    queries.write_text("提现多久到账\tfaq-withdraw\n手机丢了\taccount-freeze\nzzz\tnope\n", "utf-8")
    out = subprocess.run([sys.executable, "-m", "kb.cli", "eval", "--queries", str(queries), "--json",
                          "--articles", str(kb_dir), "--index", str(index_dir)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["queries"] == 3 and body["hit@1"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["worst"] == [{"query": "zzz", "expected": ["nope"], "rank": None, "first": None}]
