"""Indexing: incremental by content hash, problems reported, last good version kept."""

import os

from search import store
from search.indexer import sync_index
from search.searcher import SearchIndex


def ids(index_dir, query, **kw):
    index = SearchIndex(index_dir)
    try:
        return [a.id for a in index.search(query, **kw).articles]
    finally:
        index.close()


def test_full_build_then_nothing_to_do(kb_dir, index_dir):
    first = sync_index(kb_dir, index_dir)
    assert (first.mode, first.articles, first.problems) == ("full", 9, [])
    again = sync_index(kb_dir, index_dir)
    assert (again.mode, again.added, again.changed, again.removed) == ("unchanged", 0, 0, 0)


def test_incremental_add_change_remove(kb_dir, index_dir):
    sync_index(kb_dir, index_dir)
    generation = store.current_generation(index_dir)
    (kb_dir / "new.md").write_text("---\ntitle: 零钱收益\ntags: [花呗]\n---\n收益每天结算。\n", "utf-8")
    (kb_dir / "en/contact.md").write_text("# Contact us\n\nWrite to help@example.com any time.\n", "utf-8")
    (kb_dir / "account/freeze.md").unlink()
    report = sync_index(kb_dir, index_dir)
    assert (report.mode, report.added, report.changed, report.removed) == ("incremental", 1, 1, 1)
    assert store.current_generation(index_dir) == generation  # updated in place, not rebuilt
    assert ids(index_dir, "零钱收益") == ["new"]
    assert ids(index_dir, "write to help@example.com")[0] == "en/contact"
    assert "account-freeze" not in ids(index_dir, "冻结账户")


def test_broken_file_keeps_last_good_version_and_is_reported(kb_dir, index_dir):
    sync_index(kb_dir, index_dir)
    path = kb_dir / "payments/refund-timeline.md"
    path.write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    report = sync_index(kb_dir, index_dir)
    assert [(p.path, p.line) for p in report.problems] == [("payments/refund-timeline.md", 2)]
    assert ids(index_dir, "退款多久到账")[0] == "refund-timeline"
    rebuilt = sync_index(kb_dir, index_dir, rebuild=True)
    assert rebuilt.mode == "full" and len(rebuilt.problems) == 1
    assert ids(index_dir, "退款多久到账")[0] == "refund-timeline"
    health = SearchIndex(index_dir).health()
    assert health["errors"][0]["path"] == "payments/refund-timeline.md"


def test_duplicate_ids_name_both_files(kb_dir, index_dir):
    (kb_dir / "zz-copy.md").write_text("---\ntitle: copy\nid: payment-failed\n---\n", "utf-8")
    report = sync_index(kb_dir, index_dir)
    assert any("payment-failed" in p.message and "payments/payment-failed.md" in p.message
               and p.path == "zz-copy.md" for p in report.problems)
    assert ids(index_dir, "支付失败怎么办")[0] == "payment-failed"


def test_a_newcomer_never_takes_an_indexed_articles_id(kb_dir, index_dir):
    sync_index(kb_dir, index_dir)
    (kb_dir / "a-copy.md").write_text("---\ntitle: 抢注的文章\nid: payment-failed\n---\n冒名。\n", "utf-8")
    for rebuild in (False, True):
        report = sync_index(kb_dir, index_dir, rebuild=rebuild)
        assert [p.path for p in report.problems] == ["a-copy.md"]
        index = SearchIndex(index_dir)
        assert index.get_article("payment-failed")["title"] == "支付失败怎么办"
        index.close()


def test_new_tag_changes_the_dictionary_and_rebuilds(kb_dir, index_dir):
    sync_index(kb_dir, index_dir)
    (kb_dir / "pay.md").write_text("---\ntitle: 云闪付绑定\ntags: [云闪付]\n---\n", "utf-8")
    report = sync_index(kb_dir, index_dir)
    assert report.mode == "full"
    assert ids(index_dir, "云闪付")[0] == "pay"


def test_rebuild_swaps_generations_atomically(kb_dir, index_dir):
    sync_index(kb_dir, index_dir)
    before = store.current_generation(index_dir)
    sync_index(kb_dir, index_dir, rebuild=True)
    after = store.current_generation(index_dir)
    assert after != before and os.path.islink(index_dir / "current")
    assert ids(index_dir, "提现") == ["faq-withdraw"]


def test_parallel_build_matches_serial_build(kb_dir, tmp_path):
    for n in range(220):
        (kb_dir / f"gen-{n}.md").write_text(f"---\ntitle: 测试文章 {n}\n---\n内容 {n} 号\n", "utf-8")
    serial = sync_index(kb_dir, tmp_path / "serial", workers=1)
    parallel = sync_index(kb_dir, tmp_path / "parallel", workers=2)
    assert serial.articles == parallel.articles == 229
    for index_dir in (tmp_path / "serial", tmp_path / "parallel"):
        index = SearchIndex(index_dir)
        assert index.search("内容").total == 220
        assert index.search("内容 17 号").articles[0].id == "gen-17"


def test_progress_counts_files_read_and_articles_indexed(kb_dir, index_dir):
    calls = []
    sync_index(kb_dir, index_dir, progress=lambda *call: calls.append(call))
    files = len([c for c in calls if c[0] == "reading"])
    assert files >= 9 and calls[:files] == [("reading", n, files) for n in range(1, files + 1)]
    indexing = [c for c in calls if c[0] == "indexing"]
    assert indexing == [("indexing", n, files) for n in range(1, files + 1)]
    (kb_dir / "en/contact.md").write_text("# Contact us\n\nWrite to help@example.com any time.\n", "utf-8")
    calls.clear()
    sync_index(kb_dir, index_dir, progress=lambda *call: calls.append(call))
    assert [c for c in calls if c[0] == "indexing"] == [("indexing", 1, 1)]  # only the changed article
