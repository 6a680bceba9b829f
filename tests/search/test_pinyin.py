"""Pinyin keys remembered between processes are pypinyin's own, and a `kb index` whose terms
were all converted before never imports pypinyin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from search import pinyin

ROOT = Path(__file__).resolve().parents[2]
TERMS = ["花呗", "还款失败", "银行卡", "重庆", "长大", "行长", "花呗"]


def _pypinyin(term: str) -> list[str]:
    return ["".join(lazy_pinyin(term)), "".join(lazy_pinyin(term, style=Style.FIRST_LETTER))]


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pinyin, "_known", None)
    monkeypatch.setattr(pinyin, "_written", False)
    monkeypatch.delitem(sys.modules, "pypinyin", raising=False)  # as in a new process
    return tmp_path


def test_remembered_keys_are_pypinyins_own(fresh, monkeypatch):
    expected = [_pypinyin(t) for t in TERMS]
    assert pinyin.keys(TERMS) == expected  # converted, and written
    stored = json.loads(next(fresh.glob("pinyin-*.json")).read_text("utf-8"))
    assert stored == {t: _pypinyin(t) for t in TERMS}
    monkeypatch.setattr(pinyin, "_known", None)  # the next process reads them back
    assert pinyin.keys(TERMS) == expected


@pytest.mark.parametrize("content", ["", "{not json", '["a list"]', '{"花呗": "huabei"}', '{"花呗": [1, 2]}'])
def test_a_damaged_cache_file_is_never_believed(fresh, content):
    (fresh / f"pinyin-{pinyin._version()}.json").write_text(content, "utf-8")
    assert pinyin.keys(TERMS) == [_pypinyin(t) for t in TERMS]


def test_an_index_run_whose_terms_were_converted_before_does_not_import_pypinyin(tmp_path):
    script = ("import sys; from search.analysis import pinyin_keys; "
              "print(pinyin_keys(['花呗', '还款失败']), 'pypinyin' in sys.modules)")
    env = {"KB_CACHE_DIR": str(tmp_path), "PATH": ""}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                           check=True).stdout.strip() for _ in range(2)]
    assert runs == ["['huabei', 'hb', 'haikuanshibai', 'hksb'] True",
                    "['huabei', 'hb', 'haikuanshibai', 'hksb'] False"]
