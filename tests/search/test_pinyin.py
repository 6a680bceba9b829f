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


def test_a_full_builds_workers_hand_their_pinyin_to_the_parent_which_writes_it_once(kb_dir, tmp_path):
    """The worker processes of a parallel build write no cache file; the parent adds what they
    converted, so the next full build of the same articles converts nothing (no process imports
    pypinyin: the file is not written again)."""
    for n in range(220):
        tag = "花呗标签"[n % 3:]
        text = f"---\ntitle: 测试文章{n}号 银行卡\ntags: [{tag}]\n---\n内容\n"
        (kb_dir / f"gen-{n}.md").write_text(text, "utf-8")
    folders = f"Path({str(kb_dir)!r}), Path({str(tmp_path / 'index')!r})"
    script = ("import sys; from pathlib import Path; from search.indexer import sync_index; "
              f"sync_index({folders}, rebuild=True, workers=2); print('pypinyin' in sys.modules)")
    cache = tmp_path / "cache"
    env = {"KB_CACHE_DIR": str(cache), "PATH": ""}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                           check=True).stdout.strip()
    (stored,) = cache.glob("pinyin-*.json")
    known = json.loads(stored.read_text("utf-8"))
    assert known["测试"] == _pypinyin("测试") and known["银行卡"] == _pypinyin("银行卡")
    assert {"花呗标签", "呗标签", "标签"} <= set(known)  # tags (domain words), converted by the workers
    written = stored.stat().st_mtime_ns
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT,
                            check=True).stdout.strip()
    assert (first, second) == ("False", "False")  # the parent itself never converts in a parallel build
    assert stored.stat().st_mtime_ns == written
