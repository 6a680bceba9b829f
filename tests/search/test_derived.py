"""Derived state is built by the writer at index time and only loaded by readers (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index

from search import classifier as classifier_module
from search import derived, store
from search.analysis import Analyzer
from search.indexer import sync_index
from search.searcher import SearchIndex
from tests.search.conftest import ARTICLES, first, write_article

ROOT = Path(__file__).resolve().parents[2]


def _revisions(index_dir: Path) -> list[str]:
    return sorted(p.name for p in derived.folder(store.current_generation(index_dir)).iterdir()
                  if p.name[0].isdigit())


def test_every_reader_maps_the_models_the_writer_stored(intents):
    _, index_dir, index = intents
    other = SearchIndex(index_dir)  # a second worker
    try:
        for state in (index.versions.refresh(), other.versions.refresh()):
            # Loaded from the files of the index (shared pages), never trained by a reader.
            assert isinstance(state.classifier.model.weights, np.memmap)
            assert isinstance(state.meaning.model.vectors, np.memmap)
            stored = Path(state.classifier.model.weights.filename)
            assert stored.parent.parent.parent.name == derived.FOLDER
        query = "is my card on its way"
        assert first(other, query) == first(index, query) == "card-delivery"
    finally:
        other.close()


def test_a_classifier_read_back_scores_as_the_one_trained(tmp_path):
    analyzer = Analyzer()
    pairs = [(article_id, text) for article_id, (title, questions, _) in ARTICLES.items()
             for text in (title, *questions)]
    trained = classifier_module.train_question_classifier(pairs, analyzer)
    classifier_module.save(trained, tmp_path / "classifier")
    loaded = classifier_module.load(tmp_path / "classifier", analyzer)
    assert loaded.article_ids == trained.article_ids
    for query in ["is my card on its way", "退款", "", "card card card top-up", "Wo ist meine Karte?"]:
        np.testing.assert_allclose(loaded.probabilities(query), trained.probabilities(query), atol=1e-12)


def test_a_changed_phrasing_is_searchable_at_once_and_the_classifier_follows(intents):
    articles, index_dir, index = intents
    write_article(articles, "pin-reset", "Reset your PIN", ["I forgot my PIN", "How do I change my PIN?"],
                  "Choose Cards, then Reset PIN.")
    sync_index(articles, index_dir)
    generation = store.current_generation(index_dir)
    names = _revisions(index_dir)
    provisional, final = (derived.folder(generation) / n for n in names[-2:])
    assert provisional.name.split(".")[0] == final.name.split(".")[0]  # one commit, two revisions
    assert int(final.name.split(".")[1]) == int(provisional.name.split(".")[1]) + 1
    state = json.loads((provisional / derived.STATE).read_text())
    assert state["classifier_key"] != state["wanted_key"]  # went out with the previous classifier
    old = json.loads((provisional / "classifier" / "classifier.json").read_text())
    assert "pin-reset" not in old["article_ids"]
    new = index.versions.refresh()
    assert "pin-reset" in new.classifier.model.article_ids
    assert first(index, "I forgot my PIN") == "pin-reset"


def test_a_body_edit_trains_nothing_and_embeds_nothing(intents):
    articles, index_dir, index = intents
    before = derived.latest(store.current_generation(index_dir))
    title, questions, _ = ARTICLES["lost-card"]
    write_article(articles, "lost-card", title, questions, "Freeze it in the app, then call us.")
    sync_index(articles, index_dir)
    after = derived.latest(store.current_generation(index_dir))
    assert after != before and _revisions(index_dir)[-1].endswith(".0")  # no second revision
    for name in ("classifier/weights.npy", "meaning/vectors.npy"):
        assert (after / name).stat().st_ino == (before / name).stat().st_ino, name


def test_field_lengths_read_in_bulk_are_whooshs_own(intents):
    articles, index_dir, _ = intents
    for n in range(3):  # several segments, with deleted documents among them
        write_article(articles, f"extra-{n}", f"Extra {n}", ["Where is extra?"], "Words " * (n + 1))
        sync_index(articles, index_dir)
    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        assert len(list(reader.leaf_readers())) > 1 and reader.has_deletions()
        bulk = derived._Commit(reader, None).lengths()
        for name in derived.SCORED_FIELDS:
            one_by_one = [reader.doc_field_length(d, name, 0) or 0 for d in range(reader.doc_count_all())]
            assert bulk[name].tolist() == one_by_one, name


def test_searches_run_in_threads_while_the_index_changes(intents):
    articles, index_dir, index = intents
    errors, done = [], threading.Event()

    def searching():
        try:
            while not done.is_set():
                assert first(index, "where is my refund") == "refund-status"
                index.suggest("card")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=searching) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for n in range(4):
            write_article(articles, "lost-card", "Lost or stolen card", ["I lost my card"],
                          f"Freeze it ({n}).")
            sync_index(articles, index_dir)
            index.versions.refresh()
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert index.versions.refresh().toc == store_generation(index_dir)


def store_generation(index_dir: Path) -> int:
    return whoosh_index.open_dir(str(store.current_generation(index_dir))).latest_generation()


@pytest.mark.e2e
def test_a_search_process_imports_no_training_library(intents):
    _, index_dir, _ = intents
    code = ("import sys; from search.searcher import SearchIndex; "
            f"print(SearchIndex({str(index_dir)!r}).search('is my card on its way').articles[0].id); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'model2vec', 'pypinyin', 'markdown', 'sqlalchemy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["card-delivery", "[]"]


def test_workers_use_the_analyzer_their_parent_preloaded(intents, monkeypatch):
    import gc

    from search import analysis, version

    _, index_dir, _ = intents
    monkeypatch.setattr(analysis, "_shared", None)
    try:
        preloaded = version.preload(index_dir)
        worker = SearchIndex(index_dir)  # as a forked worker opens it
        try:
            assert worker._current().analyzer is preloaded
            assert first(worker, "where is my refund") == "refund-status"
        finally:
            worker.close()
    finally:
        gc.unfreeze()


def test_an_index_update_in_a_searching_process_loads_no_second_dictionary(tmp_path, monkeypatch):
    """Where jieba's dictionary table cannot be kept (an unwritable cache folder), every segmenter
    loads the whole dictionary: an index update in a process that searches analyzes with the
    analyzer the open version uses instead of loading a second one."""
    from search import analysis

    (tmp_path / "not-a-folder").write_text("", "utf-8")
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path / "not-a-folder"))
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "_dict.txt").write_text("余额宝 5000\n", "utf-8")
    write_article(articles, "a", "余额宝怎么转出", ["余额宝转出要多久"], "转出到银行卡。")
    sync_index(articles, tmp_path / "index")
    index = SearchIndex(tmp_path / "index")
    try:
        searching = index._current().analyzer
        made = analysis._segmenters_made
        for n in range(3):
            write_article(articles, f"b{n}", f"余额宝收益 {n}", [], f"收益每天到账 {n}。")
            sync_index(articles, tmp_path / "index")
        state = index.versions.refresh()
        assert analysis._segmenters_made == made and state.analyzer is searching
        assert first(index, "余额宝收益 2") == "b2"
    finally:
        index.close()


def test_who_holds_each_id_is_read_without_the_search_engine(intents):
    from search.indexer import id_holders as indexed_holders

    _, index_dir, _ = intents
    assert store.id_holders(index_dir) == indexed_holders(index_dir)
    assert store.id_holders(index_dir.parent / "nothing-here") == {}


def _from_postings(reader) -> dict:
    """The document map as the index's postings say it: per document, whether it is an article or a
    unit (`kind`), its article's document (`article_id`) and whether it is an article without body."""
    size = reader.doc_count_all()
    kinds = {}
    for kind in ("article", "unit"):
        kinds[kind] = np.zeros(size, dtype=bool)
        if ("kind", kind) in reader:
            kinds[kind][list(reader.postings("kind", kind).all_ids())] = True
    parent = np.full(size, -1, dtype=np.int64)
    article_ids = {}
    for term in reader.lexicon("article_id"):
        docs = np.fromiter(reader.postings("article_id", term).all_ids(), dtype=np.int64)
        article = docs[kinds["article"][docs]]
        if len(article):
            parent[docs] = article[0]
            article_ids[int(article[0])] = term.decode("utf-8") if isinstance(term, bytes) else term
    body = np.array([reader.doc_field_length(d, "body", 0) or 0 for d in range(size)])
    return {"articles": kinds["article"], "units": kinds["unit"], "parent": parent,
            "article_ids": article_ids, "bodyless": kinds["article"] & (body == 0)}


def test_the_stored_document_map_and_filters_equal_what_the_index_says(tmp_path):
    """Searches read which documents are articles and units, their articles and who may see them
    from the stored document map; that equals reading the postings (drafts, internal articles,
    both languages, categories, deleted documents of edited articles)."""
    import shutil

    from search import ranking
    from search.evidence import DocMap

    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    sync_index(articles, index_dir)
    edited = sorted(articles.rglob("*.md"))[:3]  # several segments, deleted documents among them
    for n, path in enumerate(edited):
        text = path.read_text("utf-8")
        if n == 0:
            text = text.replace("---\n", "---\ndraft: true\n", 1)
        path.write_text(text + f"\n\n## Added {n}\n\nMore words {n}.\n", "utf-8")
        sync_index(articles, index_dir)
    index = SearchIndex(index_dir)
    try:
        state = index.versions.refresh()
        reader = state.raw_searcher.reader()
        assert reader.has_deletions()
        stored = DocMap.stored(state.documents, state.docnums, state.scorers[True].lengths["body"])
        read = _from_postings(reader)
        for name in ("articles", "units", "parent", "bodyless"):
            assert getattr(stored, name).tolist() == read[name].tolist(), name
        assert stored.article_ids == read["article_ids"]
        assert stored.units.any() and stored.bodyless.sum() < stored.articles.sum()
        records = state.catalog.values()
        assert {r.lang for r in records} == {"zh", "en"} and any(not r.visible_to(False) for r in records)
        live = np.zeros(reader.doc_count_all(), dtype=bool)
        live[list(reader.all_doc_ids())] = True  # deleted documents linger until a merge
        relevant = stored.articles | stored.units
        for internal in (False, True):
            for lang in (None, "zh", "en"):
                for category in (None, *sorted({r.category for r in records})):
                    theirs = live.copy()
                    for field, value in (("visibility", None if internal else "public"), ("lang", lang),
                                         ("category", category)):
                        if value:
                            theirs &= state.scorers[True].mask(field, value)
                    mine = ranking._allowed(state, lang, category, internal)
                    assert mine[relevant].tolist() == theirs[relevant].tolist(), (lang, category, internal)
    finally:
        index.close()


def _derived_now(index_dir: Path) -> tuple[derived.Derived, derived.Derived, object]:
    """(what the last `kb index` stored, the same computed from scratch from the index — models
    left out, their keys compared — and its reader)."""
    generation = store.current_generation(index_dir)
    ix = whoosh_index.open_dir(str(generation))
    searcher = ix.searcher()
    stored = derived.load(derived.latest(generation, searcher.reader().generation()), Analyzer())
    return stored, derived._computed(searcher, derived._lexicon_words(searcher))[0], searcher


def _segment_ids(index_dir: Path) -> set[str]:
    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    return {segment.segment_id() for segment in ix._segments()}


def _same_arrays(mine: dict, theirs: dict) -> None:
    assert sorted(mine) == sorted(theirs)
    for name in mine:
        assert np.asarray(mine[name]).tolist() == np.asarray(theirs[name]).tolist(), name


def _by_uid(state: derived.Derived, reader) -> dict:
    """The derived state with documents named by uid instead of number (as two builds of the same
    articles number them differently)."""
    uids = {d: fields["uid"] for d, fields in reader.iter_docs()}  # live documents only
    docs = state.documents
    return {
        "catalog": state.catalog, "docnums": {i: uids[d] for i, d in state.docnums.items()},
        "suggestions": state.suggestions, "spelling": {k: list(v.items()) for k, v in state.spelling.items()},
        "lengths": {name: {uids[d]: float(array[d]) for d in uids} for name, array in state.lengths.items()},
        "articles": sorted(uids[d] for d in uids if docs["articles"][d]),
        "units": sorted(uids[d] for d in uids if docs["units"][d]),
        "parent": {uids[d]: uids.get(int(docs["parent"][d])) for d in uids},
        "meaning": state.meaning_key,
    }


def test_incremental_derived_state_is_what_a_full_build_gives(tmp_path):
    """Each `kb index` after edits re-uses what it stored for the Whoosh segments that did not change
    and reads only new segments and new deletions; what readers load equals the derived state
    computed from the whole index at once, and (documents named by uid) a full build of the same
    articles: catalog, suggestions, spelling with its counts, field lengths, document map."""
    import shutil

    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    shutil.copytree(ROOT / "articles", articles)
    sync_index(articles, index_dir)
    paths = sorted(p for p in articles.rglob("*.md"))
    en = [p for p in paths if "lang: en" in p.read_text("utf-8")]

    def append(path: Path, text: str) -> None:
        path.write_text(path.read_text("utf-8") + text, "utf-8")

    edits = [
        lambda: append(paths[0], "\n\nA new paragraph about refunds and transfers.\n"),  # body only
        lambda: paths[1].write_text(paths[1].read_text("utf-8").replace("title: ", "title: Renamed ", 1),
                                    "utf-8"),  # a new title: new suggestions and phrasings
        lambda: write_article(articles, "brand-new", "Brand new article", ["Is this brand new?"],
                              "Zebra quagga words nobody else uses."),
        lambda: paths[2].unlink(),  # its words, records and suggestions go
        lambda: append(en[0], "\n\n## Extra section\n\nOkapi and narwhal facts.\n"),  # a new unit
        lambda: paths[3].write_text(paths[3].read_text("utf-8").replace("---\n", "---\ndraft: true\n", 1),
                                    "utf-8"),  # hidden from the public: its words leave their list
        lambda: (articles / "brand-new.md").unlink(),  # zebra leaves the vocabulary
        lambda: append(paths[4], "\n\nMore words.\n"),
        lambda: append(paths[5], "\n\nEven more words.\n"),
        lambda: append(paths[0], "\n\nAnd again.\n"),  # an article edited twice
    ]
    merged = False
    for edit in edits:
        before = _segment_ids(index_dir)
        edit()
        report = sync_index(articles, index_dir)
        assert report.mode == "incremental"
        stored, computed, searcher = _derived_now(index_dir)
        with searcher:
            merged = merged or len(before - _segment_ids(index_dir)) > 1
            assert stored.catalog == computed.catalog and stored.docnums == computed.docnums
            assert stored.suggestions == computed.suggestions
            assert stored.spelling == computed.spelling
            assert list(stored.spelling[True]) == list(computed.spelling[True])
            _same_arrays(stored.lengths, computed.lengths)
            _same_arrays(stored.documents, computed.documents)
            assert (stored.classifier_key, stored.meaning_key) == (computed.classifier_key,
                                                                   computed.meaning_key)
            # The spelling counts are those of the documents still in the index, deleted ones left out.
            reader = searcher.reader()
            for word, count in stored.spelling[True].items():
                assert len(list(reader.postings("spell", word).all_ids())) == count, word
            assert set(stored.spelling[True]) == {w.decode() if isinstance(w, bytes) else w
                                                  for w in reader.lexicon("spell")
                                                  if any(True for _ in reader.postings("spell", w).all_ids())}
    assert merged  # Whoosh merged small segments on the way
    assert "zebra" not in stored.spelling[True] and "okapi" in stored.spelling[True]

    full_articles, full_index = tmp_path / "full-articles", tmp_path / "full-index"
    shutil.copytree(articles, full_articles)
    sync_index(full_articles, full_index)
    incremental, _, incremental_searcher = _derived_now(index_dir)
    full, _, full_searcher = _derived_now(full_index)
    with incremental_searcher, full_searcher:
        mine, theirs = _by_uid(incremental, incremental_searcher.reader()), _by_uid(full,
                                                                                    full_searcher.reader())
        lexicons = [derived._lexicon_words(s) for s in (incremental_searcher, full_searcher)]
    for name in theirs:
        assert mine[name] == theirs[name], name
    # The classifier learns with the index's dictionary, which keeps a deleted article's tags until
    # the next full build (`search.indexer`): the same phrasings, another dictionary.
    assert (incremental.classifier_key == full.classifier_key) == (lexicons[0] == lexicons[1])


def test_a_merged_away_segment_forgets_only_what_it_still_held(intents):
    """An article edited twice: its second version's segment is merged away (holding nothing live)
    while the third version's segment stays; the article keeps its suggestions and record."""
    from whoosh.reading import SegmentReader

    from search.indexer import _derive

    articles, index_dir, _ = intents
    title, questions, _ = ARTICLES["lost-card"]
    first = _segment_ids(index_dir)
    write_article(articles, "lost-card", title, questions, "Second version.")
    sync_index(articles, index_dir)
    (merged,) = _segment_ids(index_dir) - first  # the second version's
    write_article(articles, "lost-card", title, questions, "Third version.")
    sync_index(articles, index_dir)

    def merge_one(writer, segments):
        for segment in segments:
            if segment.segment_id() == merged:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
        return [segment for segment in segments if segment.segment_id() != merged]

    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    ix.writer().commit(mergetype=merge_one)
    assert merged not in _segment_ids(index_dir)
    _derive(index_dir)
    stored, computed, searcher = _derived_now(index_dir)
    with searcher:
        assert stored.suggestions == computed.suggestions and stored.catalog == computed.catalog
        assert any(s[2] == "lost-card" for s in stored.suggestions)
        _same_arrays(stored.documents, computed.documents)
        assert stored.spelling == computed.spelling



@pytest.mark.parametrize("reparsed_max", [0, derived.REPARSED_MAX])
def test_deleted_articles_leave_the_spelling_counts_by_either_path(intents, monkeypatch, reparsed_max):
    """The spelling words of edited and deleted articles are taken from their stored Markdown, or
    (many at once) counted from the segment's postings: the same counts either way."""
    articles, index_dir, _ = intents
    monkeypatch.setattr(derived, "REPARSED_MAX", reparsed_max)
    title, questions, _ = ARTICLES["refund-status"]
    write_article(articles, "refund-status", title, questions, "Refunds arrive within fortnight.")
    (articles / "lost-card.md").unlink()
    sync_index(articles, index_dir)
    stored, computed, searcher = _derived_now(index_dir)
    with searcher:
        assert stored.spelling == computed.spelling
        assert "fortnight" in stored.spelling[True] and "stolen" not in stored.spelling[True]
        holding = list(searcher.reader().postings("spell", "card").all_ids())
        assert stored.spelling[True]["card"] == len(holding)


def test_an_index_without_stored_derived_state_is_served_from_one_computed_at_open(intents):
    """An index whose writer stored no derived state (an older kb) is still searched: the reader
    computes the same state itself."""
    import shutil

    _, index_dir, index = intents
    stored = index.versions.refresh()
    shutil.rmtree(derived.folder(store.current_generation(index_dir)))
    reader = SearchIndex(index_dir)
    try:
        computed = reader.versions.refresh()
        assert computed.revision == -1 and computed.catalog == stored.catalog
        assert computed.suggestions == stored.suggestions and computed.spelling == stored.spelling
        assert computed.classifier.key == stored.classifier.key
        assert first(reader, "is my card on its way") == "card-delivery"
    finally:
        reader.close()


def test_a_derived_state_an_older_kb_stored_is_computed_again_at_open(intents):
    """A derived folder without the document map (stored by a kb of before it) is not read: the
    reader computes the state itself, the same, and searches as before."""
    import shutil

    _, index_dir, index = intents
    stored = index.versions.refresh()
    shutil.rmtree(derived.latest(store.current_generation(index_dir)) / "documents")
    reader = SearchIndex(index_dir)
    try:
        computed = reader.versions.refresh()
        assert computed.revision == -1 and computed.catalog == stored.catalog
        assert {name: computed.documents[name].tolist() for name in stored.documents} == {
            name: array.tolist() for name, array in stored.documents.items()}
        assert first(reader, "is my card on its way") == "card-delivery"
    finally:
        reader.close()


def test_segments_stored_in_another_layout_are_read_again(intents):
    """The derived state of a commit stored by a kb that laid out the segments' files otherwise is
    not re-used: the next commit reads every segment anew, and gets the same state."""
    articles, index_dir, _ = intents
    listing = derived.latest(store.current_generation(index_dir)) / derived.SEGMENT_LIST
    data = json.loads(listing.read_text("utf-8"))
    listing.write_text(json.dumps({**data, "layout": derived.LAYOUT - 1}), "utf-8")
    for piece in (listing.parent / derived.SEGMENTS).iterdir():
        (piece / "arrays.npz").unlink()
    title, questions, _ = ARTICLES["lost-card"]
    write_article(articles, "lost-card", title, questions, "Freeze it in the app.")
    sync_index(articles, index_dir)
    stored, computed, searcher = _derived_now(index_dir)
    with searcher:
        assert stored.catalog == computed.catalog and stored.suggestions == computed.suggestions
        assert stored.spelling == computed.spelling
        _same_arrays(stored.documents, computed.documents)


def test_a_reload_after_an_edit_reads_only_the_new_segment_records(intents):
    """A reader loading the next commit re-uses the records it made for the segments that commit
    still has; what it loads equals a load in a fresh process (the cache emptied)."""
    articles, index_dir, index = intents
    before = index.versions.refresh()
    title, questions, _ = ARTICLES["lost-card"]
    write_article(articles, "lost-card", title, questions, "Freeze it in the app, then call us.")
    sync_index(articles, index_dir)
    after = index.versions.refresh()
    assert after.catalog["refund-status"] is before.catalog["refund-status"]  # made once
    assert after.catalog["lost-card"] is not before.catalog["lost-card"]
    derived._records_made.clear()
    fresh = derived.load(derived.latest(store.current_generation(index_dir)), Analyzer())
    assert fresh.catalog == after.catalog and fresh.docnums == after.docnums
    assert fresh.catalog["refund-status"] is not after.catalog["refund-status"]


def test_records_are_stored_a_line_each_and_read_so_even_from_an_earlier_layout(tmp_path):
    """A reader reads a segment's records a line at a time (so that the searches beside a loading
    version are not held for the whole file) — records with line breaks in their text included;
    an index an earlier kb wrote (one JSON document of records) is read as it is, and its next
    commit stores its pieces as lines."""
    import shutil

    shutil.copytree(ROOT / "articles", tmp_path / "articles")
    (tmp_path / "articles" / "lines.md").write_text(
        "---\ntitle: Line breaks\n---\nOne line\nand \"quoted\" another, 中文 too.\n", "utf-8")
    index_dir = tmp_path / "index"
    sync_index(tmp_path / "articles", index_dir)
    latest = derived.latest(store.current_generation(index_dir))
    pieces = sorted((latest / derived.SEGMENTS).iterdir())
    lines = [json.loads(line) for piece in pieces
             for line in (piece / derived.RECORDS).read_text("utf-8").splitlines()[1:]]
    assert len(lines) == len(derived._stored_records(latest))
    derived._records_made.clear()
    catalog = derived.load(latest, Analyzer()).catalog
    assert catalog["lines"].title == "Line breaks" and "lines" in {r["id"] for r in lines}

    for piece in pieces:  # as an earlier kb stored them: one JSON document, layout 3
        text = (piece / derived.RECORDS).read_text("utf-8")
        numbers, *records = [json.loads(line) for line in text.splitlines()]
        (piece / derived.RECORDS).unlink()
        (piece / "records.json").write_text(json.dumps({"docnums": numbers, "records": records}), "utf-8")
    listing = json.loads((latest / derived.SEGMENT_LIST).read_text("utf-8"))
    (latest / derived.SEGMENT_LIST).write_text(json.dumps({**listing, "layout": 3}), "utf-8")
    derived._records_made.clear()
    assert derived.load(latest, Analyzer()).catalog == catalog
    (tmp_path / "articles" / "lines.md").write_text("---\ntitle: Line breaks\n---\nEdited.\n", "utf-8")
    sync_index(tmp_path / "articles", index_dir)
    latest = derived.latest(store.current_generation(index_dir))
    assert all((piece / derived.RECORDS).is_file() for piece in (latest / derived.SEGMENTS).iterdir())


def test_an_index_written_before_the_stored_lists_gains_them_at_its_next_commit(tmp_path, monkeypatch):
    """Segment pieces are re-used from commit to commit only when stored in this kb's layout: an
    index whose pieces an earlier kb wrote (no stored posting lists) has every piece computed
    again at its next commit, long lists included, instead of decoding its old segments forever."""
    monkeypatch.setattr(derived, "STORED_POSTINGS", 20)
    articles, index_dir = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    for n in range(30):
        (articles / f"bulk-{n}.md").write_text(f"# 批量文章 {n}\n\n退款 refund 第 {n} 篇。\n", "utf-8")
    sync_index(articles, index_dir)

    def latest() -> Path:
        generation = store.current_generation(index_dir)
        ix = whoosh_index.open_dir(str(generation))
        return derived.latest(generation, ix.latest_generation())

    old = latest()  # as an earlier kb stored it: layout 2, no posting lists
    for piece in (old / derived.SEGMENTS).iterdir():
        for name in (derived.POSTINGS, derived.POSTING_IDS, derived.POSTING_WEIGHTS):
            (piece / name).unlink(missing_ok=True)
    listing = json.loads((old / derived.SEGMENT_LIST).read_text("utf-8"))
    (old / derived.SEGMENT_LIST).write_text(json.dumps({**listing, "layout": 2}), "utf-8")
    assert derived._stored_postings(old) == {}

    (articles / "bulk-0.md").write_text("# 批量文章 0\n\n退款 refund 第 0 篇，改过。\n", "utf-8")
    sync_index(articles, index_dir)
    stored = derived._stored_postings(latest())
    assert set(stored) == _segment_ids(index_dir)  # the old segment's lists too, not only the new one's
