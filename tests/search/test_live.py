"""Live reload: article changes reach the index within 2 seconds, once per burst, from one writer."""

from __future__ import annotations

import time

import pytest

from search.indexer import sync_index
from search.live import LiveIndexer
from search.searcher import SearchIndex
from tests.conftest import eventually

DEADLINE = 2.0  # the promise to editors: searchable within 2 seconds of saving




@pytest.fixture(params=["native", "polling"])
def live(request, built_index, kb_dir):
    indexer = LiveIndexer(kb_dir, built_index, polling=request.param == "polling").start()
    # Elected, its writer process started (jieba's dictionary loaded) and caught up.
    eventually(lambda: indexer.updates >= 1, timeout=15)
    yield indexer
    indexer.stop()


@pytest.fixture
def first_ids(built_index):
    index = SearchIndex(built_index)
    yield lambda query: [a.id for a in index.search(query).articles][:1]
    index.close()


def test_add_change_rename_delete_are_searchable_within_two_seconds(live, kb_dir, first_ids):
    (kb_dir / "payments/new.md").write_text("---\ntitle: 零钱通收益说明\n---\n收益每天结算。\n", "utf-8")
    assert eventually(lambda: first_ids("零钱通收益说明") == ["payments/new"]) < DEADLINE

    (kb_dir / "payments/new.md").write_text("# 零钱通收益说明\n\n节假日收益顺延发放。\n", "utf-8")
    assert eventually(lambda: first_ids("节假日顺延") == ["payments/new"]) < DEADLINE

    (kb_dir / "payments/new.md").rename(kb_dir / "payments/renamed.md")
    assert eventually(lambda: first_ids("零钱通收益说明") == ["payments/renamed"]) < DEADLINE

    (kb_dir / "payments/renamed.md").unlink()
    assert eventually(lambda: first_ids("零钱通收益说明") == []) < DEADLINE


def test_a_burst_of_saves_is_applied_once(live, kb_dir, first_ids):
    before = live.updates
    path = kb_dir / "en/contact.md"
    for n in range(8):
        path.write_text(f"# Contact us\n\nDraft {n}: write to help{n}@example.com.\n", "utf-8")
        time.sleep(0.05)
    eventually(lambda: first_ids("help7@example.com") == ["en/contact"])
    eventually(lambda: live.updates > before)  # the writer has reported the update
    time.sleep(live.debounce + 0.5)
    # Polling sees the folder once a second: a burst that straddles two looks is two updates.
    assert live.updates - before == 1 or (live.polling and live.updates - before == 2)


def test_an_invalid_save_keeps_the_last_good_version(live, kb_dir, built_index, first_ids):
    (kb_dir / "payments/refund-timeline.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    index = SearchIndex(built_index)
    eventually(lambda: [e["path"] for e in index.health()["errors"]] == ["payments/refund-timeline.md"])
    assert first_ids("退款多久到账") == ["refund-timeline"]
    index.close()


def test_one_writer_and_a_successor_when_it_stops(built_index, kb_dir, first_ids):
    first = LiveIndexer(kb_dir, built_index).start()
    eventually(lambda: first.is_writer)
    second = LiveIndexer(kb_dir, built_index).start()
    time.sleep(1.5)
    assert not second.is_writer
    first.stop()
    eventually(lambda: second.is_writer, timeout=3)
    (kb_dir / "late.md").write_text("# 晚到的文章\n\n后来者接手写入。\n", "utf-8")
    eventually(lambda: first_ids("晚到的文章") == ["late"], timeout=15)  # its writer process starts first
    second.stop()


def test_changes_while_no_one_watched_are_caught_up(built_index, kb_dir, first_ids):
    (kb_dir / "offline.md").write_text("# 离线期间新增\n\n服务停止时保存的文章。\n", "utf-8")
    indexer = LiveIndexer(kb_dir, built_index).start()
    # At start the writer's process starts and loads the dictionary before catching up.
    eventually(lambda: first_ids("离线期间新增") == ["offline"], timeout=15)
    indexer.stop()


def test_sync_and_live_agree(built_index, kb_dir):
    """The live writer uses the same incremental sync as `kb index`: nothing is left to do after it."""
    indexer = LiveIndexer(kb_dir, built_index).start()
    eventually(lambda: indexer.updates >= 1, timeout=15)  # watching and caught up
    (kb_dir / "agree.md").write_text("# 一致性\n\n正文。\n", "utf-8")
    eventually(lambda: indexer.updates >= 2)
    indexer.stop()
    assert sync_index(kb_dir, built_index).mode == "unchanged"

