"""The meaning model (search.passages): real multilingual-e5-small vectors of real indexes' passages,
kept in step by the writer, re-ordering what the words found."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb.config import ConfigError, Settings
from search import derived, passages, store
from search.config import RankingConfig
from search.indexer import sync_index
from search.records import ArticleRecord, Unit
from search.searcher import SearchIndex

PAGES = {
    "renderer": ("Custom renderers", "`createRenderer` builds a renderer for a target other than the browser "
                 "DOM. The core runtime stays platform-agnostic: you provide node operations, so components "
                 "can paint to a canvas, a terminal or a native view."),
    "components": ("Components basics", "Components let us split the UI into independent and reusable "
                   "pieces. A component can draw its template with data passed in as props, and emit "
                   "events to its parent."),
    "routing": ("Routing", "A router maps each page address to a component. When the page changes, the "
                "router renders the matching component in place of the previous page."),
    "templates": ("Template syntax", "Templates are HTML with directives. Text interpolation uses double "
                  "curly braces, and every binding can hold one JavaScript expression. Draw attention to "
                  "errors with conditional classes."),
    "refunds": ("退款多久到账", "退款申请审核通过后，钱会原路退回：余额即时到账，银行卡一般 1–3 个工作日。"),
}
# Words alone put Routing first (page, page); the question means the custom renderer.
PARAPHRASE = "how do I draw on a canvas instead of the page"


def write_pages(folder: Path, pages: dict = PAGES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in pages.items():
        lang = "zh" if any("\u4e00" <= c <= "\u9fff" for c in title) else "en"
        (folder / f"{name}.md").write_text(f"---\ntitle: {title}\nlang: {lang}\n---\n{body}\n", "utf-8")
    return folder


def cached_rows(cache: Path) -> int:
    """Passages embedded so far (0 before the writer made its cache)."""
    path = cache / f"passages-{passages.MODEL}.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        try:
            return connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        except sqlite3.OperationalError:  # created, its table not yet
            return 0


def stored_passages(index: Path) -> passages.PassageVectors | None:
    path = store.latest_derived(store.current_generation(index))
    return passages.load(path / derived.PASSAGES) if (path / derived.PASSAGES).is_dir() else None


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_article_is_its_units_under_its_title_and_its_listed_questions():
    record = ArticleRecord(id="a", path="a.md", hash="h", title="Refunds", summary="", lang="en",
                           category="", tags=[], questions=["where is my money"], related=[],
                           visibility="public", updated="2026-01-01")
    units = [Unit("refunds", "Refunds", "Refunds go back.").to_dict(),
             Unit("timeline", "Timeline", "x" * 2000).to_dict()]
    texts = passages.passage_texts(record, units)
    assert texts == ["Refunds\nRefunds go back.", "Refunds / Timeline\n" + "x" * passages.PASSAGE_CHARS,
                     "Refunds\nwhere is my money"]


def test_vectors_put_a_paraphrase_near_its_passage_in_either_language(cache):
    renderer, refunds = passages.embed([
        "Custom renderers\n" + PAGES["renderer"][1], "退款多久到账\n" + PAGES["refunds"][1]])
    assert abs(np.linalg.norm(renderer) - 1) < 1e-5
    vectors = passages.PassageVectors(["r", "z"], np.stack([renderer, refunds]), np.array([0, 1]), ["", ""])
    assert vectors.scores("paint my app on a canvas").argmax() == 0
    assert vectors.scores("钱退回来要几天").argmax() == 1
    assert cached_rows(cache) == 2
    again = passages.embed(["Custom renderers\n" + PAGES["renderer"][1]])  # from the cache
    np.testing.assert_allclose(again[0], renderer, atol=2e-3)


def test_meaning_reorders_what_the_words_found(tmp_path, cache):
    articles = write_pages(tmp_path / "articles")
    sync_index(articles, tmp_path / "index", meaning=True)
    index = SearchIndex(tmp_path / "index")
    words_only = SearchIndex(tmp_path / "index", config=replace(RankingConfig(), passage_weight=0))
    words = [a.id for a in words_only.search(PARAPHRASE).articles]
    fused = [a.id for a in index.search(PARAPHRASE).articles]
    assert words[0] == "routing"
    assert fused[0] == "renderer"
    assert sorted(fused) == sorted(words)  # nothing added, nothing dropped
    # A question worded as an article's title stays on that article.
    assert index.search("Routing").articles[0].id == "routing"
    assert index.search("Components basics").articles[0].id == "components"


def test_an_edit_embeds_the_edited_article_only(tmp_path, cache):
    articles = write_pages(tmp_path / "articles")
    index = tmp_path / "index"
    sync_index(articles, index, meaning=True)
    before = stored_passages(index)
    assert sorted(before.article_ids) == sorted(PAGES) and cached_rows(cache) == len(PAGES)
    write_pages(articles, {"routing": ("Routing", "A router maps each address to a view.")})
    sync_index(articles, index, meaning=True)
    after = stored_passages(index)
    assert cached_rows(cache) == len(PAGES) + 1  # the edited page's one new passage
    changed = after.article_ids.index("routing")
    assert after.hashes[changed] != before.hashes[before.article_ids.index("routing")]
    kept = after.article_ids.index("renderer")
    np.testing.assert_array_equal(after.vectors[after.starts[kept]],
                                  before.vectors[before.starts[before.article_ids.index("renderer")]])


def test_without_meaning_there_are_no_passages_and_turning_it_off_drops_them(tmp_path, cache):
    articles = write_pages(tmp_path / "articles")
    index = tmp_path / "index"
    sync_index(articles, index)
    assert stored_passages(index) is None and not cache.exists()
    assert SearchIndex(index).health()["meaning_articles"] == 0
    sync_index(articles, index, meaning=True)  # nothing changed: the next revision has them
    assert stored_passages(index) is not None
    assert SearchIndex(index).search(PARAPHRASE).articles[0].id == "renderer"
    assert SearchIndex(index).health()["meaning_articles"] == len(PAGES)
    sync_index(articles, index)
    assert stored_passages(index) is None
    assert SearchIndex(index).search(PARAPHRASE).articles[0].id == "routing"


def test_the_setting_is_a_flag_named_in_its_error(tmp_path):
    assert not Settings.load(str(tmp_path), environ={}).meaning
    assert Settings.load(str(tmp_path), environ={"KB_MEANING": "on"}).meaning
    with pytest.raises(ConfigError, match="KB_MEANING"):
        Settings.load(str(tmp_path), environ={"KB_MEANING": "sometimes"})


def test_the_live_writer_keeps_the_passages_in_step(tmp_path, cache):
    from search.live import LiveIndexer
    from tests.conftest import eventually

    articles = write_pages(tmp_path / "articles")
    index = tmp_path / "index"
    sync_index(articles, index)  # built without: the writer's first sync embeds every page
    live = LiveIndexer(articles, index, meaning=True).start()
    try:
        eventually(lambda: stored_passages(index) is not None, timeout=60)
        write_pages(articles, {"gestures": ("Touch gestures", "Swipe, pinch and long-press handlers.")})
        eventually(lambda: "gestures" in stored_passages(index).article_ids, timeout=30)
    finally:
        live.stop()



def test_an_embedding_cut_short_keeps_what_it_had_for_the_rest(cache, monkeypatch):
    def record(name: str, text: str) -> ArticleRecord:
        return ArticleRecord(id=name, path=f"{name}.md", hash=text, title=name.title(), summary="",
                             lang="en", category="", tags=[], questions=[], related=[],
                             visibility="public", updated="2026-01-01")

    def units(text: str) -> list[dict]:
        return [Unit(text, text, text).to_dict()]

    first, _ = passages.build([(record(n, "one"), units("one")) for n in ("a", "b")], None)
    monkeypatch.setattr(passages, "BATCH", 1)  # a batch is one article's passage
    edited = [(record("a", "two"), units("two")), (record("b", "two"), units("two")),
              (record("c", "two"), units("two"))]
    vectors, pending = passages.build(edited, first, stop=lambda: True)
    # One batch is embedded before stop is asked; b keeps its earlier vector under its earlier
    # hash (so the next build embeds it again); c, new, has none yet.
    assert pending == 2
    assert vectors.article_ids == ["a", "b"] and vectors.hashes == ["two", "one"]
    np.testing.assert_array_equal(vectors.vectors[1], first.vectors[1])
    vectors, pending = passages.build(edited, vectors)
    assert pending == 0 and vectors.article_ids == ["a", "b", "c"] and vectors.hashes == ["two"] * 3


def long_pages(count: int) -> dict:
    """`count` pages of one long passage each (about 0.15 s of the model's time apiece)."""
    words = "parcel refund ledger wallet transfer merchant voucher receipt balance limit".split()
    return {f"page-{n:02d}": (f"Topic {n}", " ".join(
        f"{words[(n * 7 + k) % len(words)]} {n * 100 + k}." for k in range(160))) for n in range(count)}


@pytest.mark.e2e
def test_a_save_does_not_wait_for_the_writer_to_embed_a_whole_knowledge_base(tmp_path, cache):
    """The live writer's first sync with the model embeds every page (here 64 long passages, about
    ten seconds); a page saved meanwhile is live by words once the batch in progress is done."""
    from search.live import LiveIndexer
    from tests.conftest import eventually

    pages = long_pages(64)
    articles = write_pages(tmp_path / "articles", pages)
    index = tmp_path / "index"
    sync_index(articles, index)  # by words
    live = LiveIndexer(articles, index, meaning=True).start()
    try:
        eventually(lambda: cached_rows(cache) >= passages.BATCH, timeout=60)
        write_pages(articles, {"gestures": ("Touch gestures", "Swipe, pinch and long-press handlers.")})
        reader = SearchIndex(index)
        eventually(lambda: [a.id for a in reader.search("pinch").articles] == ["gestures"], timeout=30)
        assert cached_rows(cache) < len(pages)  # live before the embedding was done
        eventually(lambda: len(stored_passages(index).article_ids) == len(pages) + 1, timeout=120)
    finally:
        live.stop()


@pytest.mark.e2e
def test_the_writer_sees_a_save_that_arrives_with_its_sync_request(tmp_path, cache):
    """The writer's child reads its requests a line at a time: a "yield" written right behind the
    "sync" it is for (a save as the sync starts) stops that sync's embedding after its first batch.
    Read through a buffer, both lines came in at once and the child's `select` saw nothing waiting:
    the sync embedded every page first."""
    import subprocess
    import sys

    from search.live import SYNC, YIELD

    articles = write_pages(tmp_path / "articles", long_pages(3 * passages.BATCH))
    sync_index(articles, tmp_path / "index")  # by words
    child = subprocess.Popen([sys.executable, "-m", "search.live", str(articles), str(tmp_path / "index"),
                              "--meaning"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child.stdin.write(SYNC + YIELD)
        child.stdin.flush()
        report = json.loads(child.stdout.readline())
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    assert report["embedding"] == 2 * passages.BATCH  # one batch embedded, the rest for later syncs


def test_the_model_reads_the_question_with_its_typos_corrected(tmp_path, cache):
    """As typed, "refnd" is nothing the model knows and it prefers the disputes page; the words
    correct it to "refund" (did you mean), and so does what the model reads."""
    root = Path(__file__).resolve().parents[2]
    sync_index(root / "articles", tmp_path / "index", meaning=True)
    results = SearchIndex(tmp_path / "index").search("refnd not received")
    assert results.did_you_mean == "refund not received"
    assert results.articles[0].id == "en-refunds"


def test_the_model_reads_a_long_question_up_to_its_token_budget():
    """A message pasted whole into the search box costs the model no more than its first
    `QUERY_TOKENS` tokens, up to the last whole word; a question within them is read whole."""
    engine = passages._engine()
    long = "My card payment was declined at the supermarket again this morning. " * 6
    read = passages.within_tokens(engine, long, passages.QUERY_TOKENS)
    assert long.startswith(read) and long[len(read)] == " "
    next_word = long[:long.index(" ", len(read) + 1)]
    assert engine.token_count(read, True) <= passages.QUERY_TOKENS < engine.token_count(next_word, True)
    question = "被 keep-alive 缓存的页面切回来时想重新拉数据 用哪个钩子"
    assert passages.within_tokens(engine, question, passages.QUERY_TOKENS) == question


def test_a_question_over_the_budget_loses_its_stop_words_first():
    """So the budget holds more of what it asks; a negation stays (it changes what is asked), and a
    question that fits is read as typed."""
    engine = passages._engine()
    long = ("Hi, I was at the shop and my card was declined, but I don't know why, so can you tell me "
            "what I should do about it, because I have tried it again and it did not work")
    read = passages.question_text(engine, long, passages.QUERY_TOKENS)
    assert engine.token_count(long, True) > passages.QUERY_TOKENS >= engine.token_count(read, True)
    assert read == "shop card declined, but don't know tell because tried not work"
    assert np.allclose(passages._query(long), passages._query(read))
    short = "why was my card declined at the shop"
    assert passages.question_text(engine, short, passages.QUERY_TOKENS) == short


KEEP_ALIVE = """---
title: Keeping components alive
lang: en
---
Wrap a dynamic component in KeepAlive and it keeps its state while you switch between components.

## Basic usage

By default a component instance is destroyed when you switch away from it. KeepAlive caches the
instance instead, so a form keeps what the user typed when you switch back.

## Include and exclude

Choose which components are cached by their name, with a string, a regular expression or an array.

## Lifecycle of cached instances

A cached instance is not unmounted but deactivated. Register onActivated to run code each time it is
inserted into the DOM again, for example to load fresh data from the server, and onDeactivated when
it is removed.
"""
# Few of its words are on the page: the words cannot tell which section answers (low confidence).
HIDDEN_VISIBLE = "get notified when a hidden component becomes visible again"
# The words find the section that answers, weakly (low confidence); the model alone would take the
# page's overview, whose passage is nearest the question as a whole.
STALE_DATA = "a kept alive tab shows stale data when I come back to it, how to load fresh data"


def card(index: Path, config: RankingConfig | None = None, question: str = HIDDEN_VISIBLE
         ) -> tuple[str, str]:
    results = SearchIndex(index, config=config).search(question)
    return results.answers[0].heading, results.confidence


def test_where_the_words_cannot_choose_the_answer_unit_the_meaning_helps(tmp_path, cache):
    articles = tmp_path / "articles"
    articles.mkdir()
    page = articles / "keep-alive.md"
    page.write_text(KEEP_ALIVE, "utf-8")
    index = tmp_path / "index"
    sync_index(articles, index, meaning=True)
    by_words = replace(RankingConfig(), unit_meaning_below=0)
    assert card(index, by_words) == ("Keeping components alive", "low")  # the overview
    assert card(index) == ("Lifecycle of cached instances", "low")
    # The model adds its view to the words' choice, it does not replace it.
    assert card(index, question=STALE_DATA) == card(index, by_words, STALE_DATA) == (
        "Lifecycle of cached instances", "low")
    by_meaning = replace(RankingConfig(), unit_meaning_weight=1e6)
    assert card(index, by_meaning, STALE_DATA) == ("Keeping components alive", "low")
    # The last section moved first (and the overview reworded, so there is something to embed): until
    # the writer has embedded the edited page, its vectors are of the old order — the words choose
    # meanwhile, not vectors of other sections.
    head, lifecycle = KEEP_ALIVE.split("## Lifecycle")
    overview, sections = head.split("## Basic")
    page.write_text(f"{overview}It is built in.\n\n## Lifecycle{lifecycle}\n## Basic{sections}", "utf-8")
    while_embedding = []

    def progress(stage, done, total):
        if stage == "meaning" and not while_embedding:
            while_embedding.append(card(index))

    sync_index(articles, index, meaning=True, progress=progress)
    assert while_embedding == [card(index, by_words)]
    assert card(index) == ("Lifecycle of cached instances", "low")
