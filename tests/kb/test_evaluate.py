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


def kb_eval(kb_dir, index_dir, queries: str, *flags: str) -> subprocess.CompletedProcess:
    """`kb eval` on a queries file holding `queries`; fails the test if it does not exit 0."""
    path = index_dir.parent / "queries.tsv"
    path.write_text(queries, "utf-8")
    out = subprocess.run([sys.executable, "-m", "kb.cli", "eval", "--queries", str(path), *flags,
                          "--articles", str(kb_dir), "--index", str(index_dir)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def test_kb_eval_command(kb_dir, index_dir):
    queries = "提现多久到账\tfaq-withdraw\n手机丢了\taccount-freeze\nzzz\tnope\n"
    out = kb_eval(kb_dir, index_dir, queries, "--json")
    body = json.loads(out.stdout)
    assert body["queries"] == 3 and body["hit@1"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["worst"] == [{"query": "zzz", "expected": ["nope"], "rank": None, "first": None}]


# -- the answer bot's triage --------------------------------------------------------------------------
def test_off_topic_lines_are_read(tmp_path):
    from kb.evaluate import read_queries

    path = tmp_path / "q.tsv"
    path.write_text("退款\trefund-timeline\n天气怎么样\t-\n", "utf-8")
    judgements = read_queries(path)
    assert [j.off_topic for j in judgements] == [False, True] and judgements[1].relevant == frozenset()
    path.write_text("天气\t- refund-timeline\n", "utf-8")
    with pytest.raises(QueriesFileError, match=r"q.tsv:1: `-`"):
        read_queries(path)


def test_triage_verdicts():
    from kb.evaluate import triage

    judgements = [Judgement(q, frozenset({"x"})) for q in "abc"]
    judgements += [Judgement(q, frozenset()) for q in ("off1", "off2")]
    answers = {"a": "x", "b": "y", "c": None, "off1": "x", "off2": None}
    summary = triage(judgements, answers.get).summary()
    assert (summary["answered_correctly"], summary["answered_wrongly"], summary["handed_over"]) == (1, 2, 2)
    assert summary["on_topic_answered_correctly"] == pytest.approx(1 / 3, abs=1e-4)
    assert summary["off_topic_handed_over"] == 0.5 and summary["answered_wrongly_of_all"] == 0.4


def test_kb_eval_triage_command(kb_dir, index_dir):
    queries = "提现多久到账\tfaq-withdraw\n转人工\tcontact\nqqqzzzxxx\t-\n"
    body = json.loads(kb_eval(kb_dir, index_dir, queries, "--triage", "--json").stdout)
    assert (body["answered_correctly"], body["answered_wrongly"], body["handed_over"]) == (1, 0, 2)
    assert body["off_topic_handed_over"] == 1.0 and body["wrong"] == []
    text = kb_eval(kb_dir, index_dir, queries, "--triage").stdout
    assert "answered correctly 1, answered wrongly 0, handed over 2" in text


def test_plain_eval_leaves_off_topic_questions_out(kb_dir, index_dir):
    out = kb_eval(kb_dir, index_dir, "提现多久到账\tfaq-withdraw\nqqqzzzxxx\t-\n", "--json")
    assert json.loads(out.stdout)["queries"] == 1
