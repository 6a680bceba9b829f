"""BM25 scoring reads Whoosh's posting lists a block at a time (search.scoring.posting_arrays)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from search import store
from search.derived import SCORED_FIELDS
from search.indexer import sync_index

ROOT = Path(__file__).resolve().parents[2]


def test_block_reads_equal_whooshs_matcher_on_every_term(tmp_path):
    """Every term of every scored and filtered field, in an index of several segments with
    deleted documents (edited articles) and long posting lists (more than one block): the same
    documents and weights as Whoosh's own matcher, posting by posting."""
    from search.scoring import posting_arrays

    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    for n in range(150):  # a long posting list for the words they share
        (articles / f"bulk-{n}.md").write_text(f"# 批量文章 {n}\n\n退款 refund 第 {n} 篇，余额 balance。\n",
                                               "utf-8")
    sync_index(articles, index_dir)
    for n, path in enumerate(sorted(articles.rglob("*.md"))[:4]):
        path.write_text(path.read_text("utf-8") + f"\n\n## 补充 {n}\n\n退款 refund again {n}.\n", "utf-8")
        sync_index(articles, index_dir)
    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) > 1 and reader.has_deletions()
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
                longest = max(longest, len(ids))
        assert longest > 300  # several blocks (Whoosh writes up to 128 postings a block)
