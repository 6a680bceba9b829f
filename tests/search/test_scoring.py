"""BM25 scoring reads Whoosh's posting lists a block at a time, or the long ones from the arrays
the writer stored (search.scoring.posting_arrays)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import store
from search.derived import SCORED_FIELDS
from search.indexer import sync_index

ROOT = Path(__file__).resolve().parents[2]


def test_block_reads_equal_whooshs_matcher_on_every_term(tmp_path, monkeypatch):
    """Every term of every scored and filtered field, in an index of several segments with
    deleted documents (edited articles) and long posting lists (more than one block): the same
    documents and weights as Whoosh's own matcher, posting by posting — read from Whoosh's blocks,
    and with the long lists from the arrays the writer stored for each segment."""
    from search import derived
    from search.scoring import posting_arrays

    monkeypatch.setattr(derived, "STORED_POSTINGS", 100)  # lists this long are stored: several here

    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    for n in range(150):  # a long posting list for the words they share
        (articles / f"bulk-{n}.md").write_text(f"# 批量文章 {n}\n\n退款 refund 第 {n} 篇，余额 balance。\n",
                                               "utf-8")
    sync_index(articles, index_dir)
    for n, path in enumerate(sorted(articles.rglob("*.md"))[:4]):
        path.write_text(path.read_text("utf-8") + f"\n\n## 补充 {n}\n\n退款 refund again {n}.\n", "utf-8")
        sync_index(articles, index_dir)
    generation = store.current_generation(index_dir)
    ix = whoosh_index.open_dir(str(generation))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) > 1 and reader.has_deletions()
        stored = derived._stored_postings(store.latest_derived(generation, reader.generation()))
        stored_lists = 0
        longest = 0
        for field in [*SCORED_FIELDS, "lang", "visibility", "kind", "article_id"]:
            for raw in reader.lexicon(field):
                term = raw.decode("utf-8")
                matcher = reader.postings(field, term)
                expected_ids, expected_weights = [], []
                while matcher.is_active():
                    expected_ids.append(matcher.id())
                    expected_weights.append(matcher.weight())
                    matcher.next()
                ids, weights = posting_arrays(reader, field, term)
                assert ids.tolist() == expected_ids, (field, term)
                assert np.allclose(weights, expected_weights), (field, term)
                ids, weights = posting_arrays(reader, field, term, stored)
                assert ids.tolist() == expected_ids, (field, term)
                assert weights.tolist() == np.float32(expected_weights).tolist(), (field, term)
                stored_lists += any(p.get(field, term) is not None for p in stored.values())
                longest = max(longest, len(ids))
        assert longest > 300  # several blocks (Whoosh writes up to 128 postings a block)
        assert stored_lists > 5  # some lists came from the stored arrays


def test_stored_lists_are_read_while_another_thread_holds_the_readers_lock(tmp_path, monkeypatch):
    """A search reading a long posting list does not wait for the lock that guards Whoosh's files
    (held by another thread reading stored fields or decoding a list, or for a whole stall): the
    list comes from the segment's stored arrays. A short list, read from Whoosh's blocks, still
    waits for the lock — and gets it when the other thread lets go."""
    import threading

    from search import derived
    from search.searcher import SearchIndex

    monkeypatch.setattr(derived, "STORED_POSTINGS", 100)
    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    for n in range(120):
        (articles / f"bulk-{n}.md").write_text(f"# Refund note {n}\n\nrefund balance note {n}.\n", "utf-8")
    (articles / "rare.md").write_text("# Rare words\n\nzanzibar quokka.\n", "utf-8")
    sync_index(articles, index_dir)
    index = SearchIndex(index_dir)
    try:
        state = index._current()
        scorer = state.scorers[True]
        assert any(p.get("body", "refund") is not None for p in scorer.stored.values())
        results: dict[str, int] = {}

        def read(term: str) -> None:
            results[term] = len(scorer.term("body", term)[0])

        with state.searcher.guard:  # another thread is inside Whoosh's files
            long_read = threading.Thread(target=read, args=("refund",))
            long_read.start()
            long_read.join(timeout=30)
            assert not long_read.is_alive() and results["refund"] >= 120
            short_read = threading.Thread(target=read, args=("quokka",))
            short_read.start()
            short_read.join(timeout=0.5)
            assert short_read.is_alive()  # Whoosh's blocks: it waits for the lock
        short_read.join(timeout=30)
        assert results["quokka"] == 1
        assert index.search("refund note").total >= 120
    finally:
        index.close()
