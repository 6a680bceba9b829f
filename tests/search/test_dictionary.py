"""jieba's dictionary read from a memory-mapped table segments exactly as jieba's own load does,
and a missing, stale, damaged or unwritable table is never an error."""

from __future__ import annotations

import os
from pathlib import Path

import jieba
import pytest

from kb.corpus import load_lexicon
from search import dictionary
from search.analysis import add_domain_words, new_segmenter
from tests.conftest import shared_folder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    dictionary.load(folder)  # no table yet: loads jieba's dictionary and writes it
    found = dictionary.table(folder)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def plain():
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _pair(table, plain, words):
    """(plain jieba + words, lazy + words): the plain one a copy, so others keep a pristine one."""
    reference = jieba.Tokenizer()
    reference.FREQ, reference.total, reference.initialized = dict(plain.FREQ), plain.total, True
    return add_domain_words(reference, words), add_domain_words(dictionary.LazyTokenizer(table), words)


def _assert_same_segmentation(reference, lazy, texts):
    assert lazy.total == reference.total
    for text in texts:
        assert list(lazy.cut(text, HMM=True)) == list(reference.cut(text, HMM=True))
        assert list(lazy.cut_for_search(text, HMM=True)) == list(reference.cut_for_search(text, HMM=True))
        assert list(lazy.tokenize(text, mode="search")) == list(reference.tokenize(text, mode="search"))


def test_starter_articles_segment_exactly_as_with_jiebas_own_load(table, plain):
    words = load_lexicon(ROOT / "articles")[0].words
    assert words, "articles/_dict.txt holds the domain words"
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "articles").rglob("*.md"))]
    assert sum(map(len, texts)) > 20_000
    _assert_same_segmentation(*_pair(table, plain, words), texts)


def test_tldr_chinese_pages_segment_exactly_as_with_jiebas_own_load(table, plain):
    words = load_lexicon(ROOT / "articles")[0].words
    texts = [p.read_text("utf-8") for p in sorted(shared_folder("corpora", "tldr", "pages.zh").rglob("*.md"))]
    assert sum(map(len, texts)) > 400_000
    _assert_same_segmentation(*_pair(table, plain, words), texts)


def test_the_table_holds_every_entry_of_jiebas_dictionary(table, plain):
    assert table.entries == len(plain.FREQ) and table.total == plain.total
    assert all(table.find(word) == freq for word, freq in plain.FREQ.items())
    assert table.find("这不是一个词语吧") is None and table.find("") is None
    lazy = dictionary.LazyTokenizer(table)
    assert "银行" in lazy.FREQ and "银" in lazy.FREQ and lazy.FREQ["银行"] == plain.FREQ["银行"]
    assert lazy.FREQ.get("不存在的词", 1) == 1 and "不存在的词" not in lazy.FREQ
    with pytest.raises(KeyError):
        lazy.FREQ["不存在的词"]


def test_added_words_stay_in_their_own_segmenter(table):
    one, other = dictionary.LazyTokenizer(table), dictionary.LazyTokenizer(table)
    assert one.lcut("花呗还款") != ["花呗", "还款"]
    one.add_word("花呗", 3000)
    assert one.lcut("花呗还款") == ["花呗", "还款"]
    assert "花呗" in one.FREQ and "花呗" not in other.FREQ
    assert other.lcut("花呗还款") != ["花呗", "还款"]


def test_a_missing_table_is_written_by_the_first_process_and_read_by_the_next(tmp_path):
    first = dictionary.load(tmp_path)
    assert type(first) is jieba.Tokenizer and first.initialized
    assert len(list(tmp_path.glob("*.table"))) == 1 and not list(tmp_path.glob("*.tmp"))
    assert isinstance(dictionary.load(tmp_path), dictionary.LazyTokenizer)


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "other jieba"])
def test_a_damaged_or_stale_table_is_replaced_not_used(table, plain, tmp_path, damage):
    path = dictionary.table_path(tmp_path)
    data = table.path.read_bytes()
    if damage == "empty":
        data = b""
    elif damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = os.urandom(len(data))
    else:
        data = data.replace(jieba.__version__.encode(), b"0.0.0", 1)
    path.write_bytes(data)
    assert dictionary.table(tmp_path) is None  # not used: the caller loads the dictionary whole
    dictionary.save(plain, tmp_path)  # ... and writes the table again
    assert dictionary.table(tmp_path).find("银行") == plain.FREQ["银行"]


def test_an_unwritable_cache_folder_loads_the_dictionary_whole(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    tokenizer = dictionary.load(blocker / "cache")
    assert type(tokenizer) is jieba.Tokenizer and tokenizer.lcut("银行卡") == jieba.Tokenizer().lcut("银行卡")


def test_new_segmenter_reads_the_table_of_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path))
    first = new_segmenter([("花呗", None, None)])  # no table here yet: loaded whole, table written
    second = new_segmenter([("花呗", None, None)])
    assert isinstance(second, dictionary.LazyTokenizer)
    text = "花呗还款失败怎么办，银行卡被冻结了"
    assert second.lcut_for_search(text) == first.lcut_for_search(text)
