"""Indexing: incremental by content hash, problems reported, last good version kept."""

import os
import time

from whoosh import index as whoosh_index

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


def index_content(index_dir, blocks: bool = False) -> dict:
    """Everything an index holds, by document uid: stored fields, each field's terms with their
    postings (document, weight, value) and field lengths — not how Whoosh laid it out on disk.
    With `blocks`, also the field lengths each block of postings records and each term's statistics,
    segment by segment."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    content = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        uid = {}
        for docnum, fields in reader.iter_docs():
            uid[docnum] = fields["uid"]
            if fields["uid"] == "meta":
                fields["data"] = {k: v for k, v in fields["data"].items() if k != "indexed_at"}
            content["doc", fields["uid"]] = fields
        for name in ix.schema.names():
            if not ix.schema[name].indexed:
                continue
            for term in reader.lexicon(name):
                content["term", name, term] = sorted(
                    (uid[docnum], weight, value) for docnum, weight, value in _postings(reader, name, term))
            for n, (leaf, _) in enumerate(reader.leaf_readers() if blocks else []):
                for term in leaf.lexicon(name):
                    info = leaf.term_info(name, term)
                    content["info", n, name, term] = (
                        info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                        info.max_weight(), info.min_id(), info.max_id())
                    postings = leaf.postings(name, term)
                    while postings.is_active():
                        content["block", n, name, term, postings.id()] = (postings.block_min_length(),
                                                                          postings.block_max_length())
                        postings.next()
        for name in ix.schema.scorable_names():
            content["lengths", name] = sorted((uid[n], reader.doc_field_length(n, name) or 0)
                                              for n in range(reader.doc_count_all()))
    return content


def _postings(reader, name, term):
    postings = reader.postings(name, term)
    while postings.is_active():
        yield postings.id(), postings.weight(), postings.value()
        postings.next()


def test_a_parallel_build_holds_what_whooshs_own_serial_writer_writes(kb_dir, tmp_path, monkeypatch):
    """The faster segment writer and the worker processes change how fast, never what is indexed."""
    from whoosh.index import FileIndex

    for n in range(230):
        lang = n % 2
        (kb_dir / f"gen-{n}.md").write_text(
            f"---\ntitle: {'测试文章' if lang else 'Test article'} {n}\ntags: [tag{n % 7}]\n"
            f"questions:\n  - {'怎么退款' if lang else 'How do I get a refund'} {n}?\n---\n"
            f"{'内容' if lang else 'Content'} {n} 号 Apple Pay\n\n## {'步骤' if lang else 'Steps'}\n\n"
            f"- {'打开钱包' if lang else 'Open the wallet'} {n}\n", "utf-8")
    parallel = sync_index(kb_dir, tmp_path / "parallel", workers=2)
    serial = sync_index(kb_dir, tmp_path / "serial", workers=1)
    monkeypatch.setattr("search.indexer.segment_writer", lambda ix, **kw: FileIndex.writer(ix, **kw))
    whooshs = sync_index(kb_dir, tmp_path / "whoosh", workers=1)
    assert serial.articles == parallel.articles == whooshs.articles == 239
    assert index_content(tmp_path / "parallel") == index_content(tmp_path / "whoosh")
    assert index_content(tmp_path / "serial", blocks=True) == index_content(tmp_path / "whoosh", blocks=True)


def test_incremental_reads_only_files_whose_size_mtime_or_inode_changed(kb_dir, index_dir):
    """The rule: a file whose size, modification time and inode all match what the index last read
    is not read again. An edit that keeps all three (a clock set back) is seen by `--rebuild`;
    one that changes the size is seen even when the modification time is put back."""
    past = time.time() - 3600  # older than any clock tick the scan distrusts (RACY_NS)
    for path in kb_dir.rglob("*.md"):
        os.utime(path, (past, past))
    sync_index(kb_dir, index_dir)
    contact = kb_dir / "en/contact.md"
    stat = contact.stat()
    same_size = contact.read_bytes().replace(b"chat with", b"zqxj with")
    contact.write_bytes(same_size)
    os.utime(contact, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert contact.stat().st_ino == stat.st_ino
    assert sync_index(kb_dir, index_dir).mode == "unchanged"  # not read: mtime and size say unchanged
    assert "en-contact" not in ids(index_dir, "zqxj")
    rebuilt = sync_index(kb_dir, index_dir, rebuild=True)  # reads every file
    assert rebuilt.mode == "full" and ids(index_dir, "zqxj")[:1] == ["en-contact"]

    contact.write_bytes(same_size + b"\nOr write to letters@example.com.\n")
    os.utime(contact, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the size still tells
    report = sync_index(kb_dir, index_dir)
    assert (report.mode, report.changed) == ("incremental", 1)
    assert ids(index_dir, "letters@example.com")[:1] == ["en-contact"]

    (kb_dir / "en/refund.md").write_bytes((kb_dir / "en/refund.md").read_bytes() + b"\nNew line.\n")
    report = sync_index(kb_dir, index_dir)  # an ordinary edit: new size and mtime
    assert (report.mode, report.changed) == ("incremental", 1)
    table = store.read_file_table(store.current_generation(index_dir),
                                  whoosh_index.open_dir(str(store.current_generation(index_dir)))
                                  .latest_generation())
    assert "en/contact.md" in table and "en/refund.md" not in table  # just written: read next time too


def test_a_parallel_build_counts_every_article_it_indexes(kb_dir, index_dir):
    """Worker processes report their batches: the count rises to the number of files, never past it."""
    for n in range(230):
        (kb_dir / f"gen-{n}.md").write_text(f"---\ntitle: 测试文章 {n}\n---\n内容 {n} 号\n", "utf-8")
    (kb_dir / "gen-dup.md").write_text("---\nid: gen-7\ntitle: Same id\n---\nBody.\n", "utf-8")
    calls = []
    report = sync_index(kb_dir, index_dir, workers=2, progress=lambda *call: calls.append(call))
    counts = [done for stage, done, _ in calls if stage == "indexing"]
    total = len([c for c in calls if c[0] == "reading"])
    assert counts == sorted(counts) and counts[-1] == total == 240
    assert {t for stage, _, t in calls if stage == "indexing"} == {total}
    assert report.articles == 239 and any("duplicate id 'gen-7'" in p.message for p in report.problems)


def test_a_parallel_builds_derived_state_read_by_its_workers_is_the_whole_indexs(kb_dir, index_dir):
    """Each worker reads its own segment's part of the derived state (`derived.segment_piece`); what
    readers load equals the derived state computed from the whole index at once."""
    import numpy as np

    from search import derived
    from search.analysis import Analyzer

    for n in range(230):
        visibility = "internal" if n % 9 == 0 else "public"
        (kb_dir / f"gen-{n}.md").write_text(
            f"---\ntitle: 测试文章 {n} refund\nvisibility: {visibility}\nquestions:\n  - 怎么退款 {n}?\n---\n"
            f"内容 {n} 号 Apple Pay paymnt\n\n## 步骤\n\n- 打开钱包 {n}\n\n## Steps\n\nOpen the wallet.\n",
            "utf-8")
    report = sync_index(kb_dir, index_dir, workers=2)
    assert report.articles == 239
    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    assert len(ix._segments()) >= 3  # the workers' two segments and the parent's
    # The workers stored their pieces ahead; the commit links them, and nothing is left beside it.
    assert not (derived.folder(store.current_generation(index_dir)) / derived.AHEAD).exists()
    with ix.searcher() as searcher:
        analyzer = Analyzer()
        stored = derived.load(derived.latest(store.current_generation(index_dir),
                                             searcher.reader().generation()), analyzer)
        whole = derived.compute(searcher, analyzer, derived._lexicon_words(searcher))
    assert stored.catalog == whole.catalog and stored.docnums == whole.docnums
    assert stored.suggestions == whole.suggestions and stored.spelling == whole.spelling
    for mine, theirs in ((stored.lengths, whole.lengths), (stored.documents, whole.documents)):
        assert sorted(mine) == sorted(theirs)
        for name in mine:
            assert np.asarray(mine[name]).tolist() == np.asarray(theirs[name]).tolist(), name
