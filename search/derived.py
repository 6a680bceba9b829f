"""State derived from one commit of the index, built by the writer and only loaded by readers.

Searching needs more than Whoosh's postings: the catalog of article records, the
type-ahead list, the spelling vocabulary, the question classifier and the phrasing
vectors. The writer (`search.indexer`) computes them right after each commit and
stores them beside the index, keyed by the commit (Whoosh's TOC generation):

    gen-*/derived/<generation>.<revision>/
        state.json           keys of what is inside; written last
        segments.json        the commit's Whoosh segments in order: id, first document number,
                             deleted documents, spelling words of those
        segments/<id>/       what each segment holds (`_Piece`): article records, kinds of
                             documents, field length bytes, spelling words…; the same files
                             (hard links) in every commit that still has the segment
        articles.json        [id, path, hash, tags] of every article (the indexer's view)
        suggestions.json     (folded text, text, article id, is a question) of titles and questions
        spelling.json        the spelling vocabularies with document frequencies (agents', the public's)
        lengths/<field>.npy  field lengths by document number, for BM25
        documents/           by document number: which are articles and units (bool .npy) and the
                             article document of each (parent.npy, -1: none or deleted)
        classifier/          the question classifier (numpy arrays + JSON), if there is one
        meaning/             the phrasing vectors (.npy) and their phrasings, if there are any
        passages/            the passage vectors (`search.passages`), where the meaning model is on

A folder is written under a temporary name and renamed into place, so a reader sees
all of it or nothing. Arrays are .npy files that readers memory-map: the worker
processes of one machine share their pages. Nothing is pickled.

Incremental by construction, and equal to what a computation from the whole index
gives (`compute`; a test compares them after edits, additions, deletions and merges):
a Whoosh segment never changes once written, only which of its documents are deleted,
so after an edit only the new segment is read, with the deleted documents of the
others (an edited article's spelling words are taken again from the Markdown its
content document stored) — the catalog, suggestions and spelling of the other
articles are re-used. The classifier is re-trained only when the phrasings it
learns from (or the dictionary) change, and only new phrasings are embedded. When
the classifier must be re-trained, revision 0 goes out at once with the previous
classifier (articles it does not know just get no help from it) and revision 1
follows when training is done, so a saved file is searchable without waiting.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search import classifier as classifier_module
from search import embeddings, passages, store
from search.analysis import Analyzer, fold_text
from search.phrasings import fingerprint
from search.records import ArticleRecord, is_public
from search.schema import (
    ARTICLE,
    ARTICLE_FIELDS,
    CHARS_FIELD,
    CONTENT,
    GRAMS_FIELD,
    LATIN_GRAMS_FIELD,
    PINYIN_FIELD,
    UNIT,
    UNIT_FIELDS,
)

log = logging.getLogger(__name__)
FOLDER = store.DERIVED
STATE = "state.json"
SCORED_FIELDS = [*ARTICLE_FIELDS, GRAMS_FIELD, CHARS_FIELD, LATIN_GRAMS_FIELD, PINYIN_FIELD, *UNIT_FIELDS]
KEEP = 2  # commits whose derived state is kept (readers may still use the one before the last)


@dataclass
class Derived:
    """The derived state of one commit, as readers use it."""

    generation: int  # Whoosh TOC generation it belongs to
    revision: int
    catalog: dict[str, ArticleRecord]  # article id → record
    docnums: dict[str, int]  # article id → its article document
    suggestions: list[tuple[str, str, str, bool]]  # (folded text, text, article id, is a question)
    spelling: dict[bool, dict[str, int]]  # internal? → word → document frequency
    lengths: dict[str, np.ndarray]  # scored field → length by docnum
    postings: dict[str, SegmentPostings]  # Whoosh segment id → its stored long posting lists
    documents: dict[str, np.ndarray]  # "articles", "units", "parent" by docnum
    classifier: object | None  # a QuestionClassifier
    classifier_key: str
    meaning: object | None  # PhrasingVectors
    meaning_key: str
    by_tag: dict[str, list[str]]
    passages: object | None = None  # PassageVectors, where the meaning model is on


def folder(generation_dir: Path) -> Path:
    return Path(generation_dir) / FOLDER


def _name(generation: int, revision: int) -> str:
    return f"{generation:08d}.{revision}"


latest = store.latest_derived  # the newest finished derived folder (of a commit, if given), or None


# -- writing -----------------------------------------------------------------------------------
def classifier_key(pairs: list[tuple[str, str]], lexicon_words: list) -> str:
    """Changes when the classifier's training data or the dictionary that segments it does."""
    return fingerprint([*pairs, ("", json.dumps(sorted(map(list, lexicon_words)), ensure_ascii=False))])


def build(generation_dir: Path, ix, previous: Path | None = None, train: bool = True,
          analyzer: Analyzer | None = None, pieces: dict | None = None) -> tuple[Path, bool]:
    """Compute and store the derived state of the index's latest commit: (its folder, whether its
    classifier is provisional and `finish` should follow).

    `previous` is a derived folder to re-use models from (of this or the previous generation);
    of an earlier commit of this generation, what it stored for each Whoosh segment that is still
    there is re-used as it is (`_Piece`), and only new segments and new deletions are read.
    With `train=False` and a `previous` folder, a changed classifier is left to `finish`.
    `pieces` (segment id → `segment_piece`) were read from new segments by the processes that wrote
    them (a full build's workers), so that this process need not.
    `analyzer` is the index's (made from its lexicon when training needs one and none is given).
    """
    generation_dir = Path(generation_dir)
    earlier = previous if previous is not None and _same_generation(previous, generation_dir) else None
    old_state = _read_state(previous)
    with ix.searcher() as searcher:
        generation = searcher.reader().generation()
        lexicon_words = _lexicon_words(searcher)
        commit = _Commit(searcher.reader(), earlier, pieces)
        lexicon_key = fingerprint([("", json.dumps(sorted(map(list, lexicon_words)), ensure_ascii=False))])
        same = (earlier is not None and old_state.get("lexicon_key") == lexicon_key
                and "wanted_key" in old_state and not commit.phrasings_changed())
    state = {"generation": generation, "lexicon_key": lexicon_key}
    pairs = None
    if same:
        key, state["meaning_key"] = old_state["wanted_key"], old_state.get("meaning_key", "")
    else:
        catalog = commit.phrasing_records()
        pairs = classifier_module.training_phrasings(_public(catalog))
        key = classifier_key(pairs, lexicon_words)
        meaning_pairs = embeddings.embedding_phrasings(catalog)
        state["meaning_key"] = fingerprint(meaning_pairs)
    state.update(classifier_key=key, wanted_key=key)
    if previous is not None and (previous / PASSAGES).is_dir():
        state["passages_key"] = old_state.get("passages_key", "")
    spelling = commit.spelling()
    files: dict[str, object] = {
        "suggestions.json": commit.suggestions(),
        "spelling.json": {"agents": spelling[True], "public": spelling[False]},
        ARTICLES: {"articles": commit.articles()},
        SEGMENT_LIST: {"layout": LAYOUT, "segments": commit.listing()},
    }
    reuse_classifier = previous is not None and (old_state.get("classifier_key") == key or not train)

    def write(target: Path) -> None:
        (target / "lengths").mkdir()
        for name, array in commit.lengths().items():
            np.save(target / "lengths" / f"{name}.npy", array)
        (target / "documents").mkdir()
        for name, array in commit.documents().items():
            np.save(target / "documents" / f"{name}.npy", array)
        commit.store_pieces(target / SEGMENTS)
        if not reuse_classifier:
            model = classifier_module.train_question_classifier(pairs, analyzer or Analyzer(lexicon_words))
            if model is not None:
                classifier_module.save(model, target / "classifier")
        else:
            if (previous / "classifier").is_dir():
                _link_tree(previous / "classifier", target / "classifier")
            state["classifier_key"] = old_state.get("classifier_key", "")
        if previous is not None and old_state.get("meaning_key") == state["meaning_key"]:
            if (previous / "meaning").is_dir():
                _link_tree(previous / "meaning", target / "meaning")
        else:
            has_old = previous is not None and (previous / "meaning").is_dir()
            old = embeddings.load(previous / "meaning") if has_old else None
            vectors = embeddings.embed_reusing(meaning_pairs, old)
            if vectors is not None:
                embeddings.save(vectors, [text for _, text in meaning_pairs], target / "meaning")
        # The previous passage vectors go out as they are (an edited article keeps its old ones, a
        # new one has none) until `finish` embeds what changed.
        if previous is not None and (previous / PASSAGES).is_dir():
            _link_tree(previous / PASSAGES, target / PASSAGES)

    revision = 0
    if previous is not None and previous.parent == folder(generation_dir) and previous.name.startswith(
            f"{generation:08d}."):
        revision = int(previous.name.split(".")[1]) + 1
    try:
        path = _publish(generation_dir, generation, revision, files, state, write)
    finally:
        shutil.rmtree(folder(generation_dir) / AHEAD, ignore_errors=True)  # linked from the commit's
    return path, state["classifier_key"] != key


def _same_generation(path: Path, generation_dir: Path) -> bool:
    """Whether derived folder `path` is of `generation_dir` and stored its segments as this kb does."""
    if path.parent != folder(generation_dir):
        return False
    try:
        return json.loads((path / SEGMENT_LIST).read_text("utf-8")).get("layout") == LAYOUT
    except (OSError, ValueError, AttributeError):
        return False


def finish(generation_dir: Path, ix, provisional: Path, analyzer: Analyzer | None = None,
           meaning: bool = False, progress=None, stop=None) -> tuple[Path, int]:
    """After `build(train=False)`: the next revision with what the provisional one carried over
    from an earlier commit made for this one — the classifier trained on this commit's phrasings,
    and (`meaning`) the passage vectors of the articles whose source changed (without `meaning`,
    none) — if anything was; else `provisional`. `progress(done, total)` follows the embedding;
    `stop()` may cut it short (`passages.build`): then the revision holds the articles embedded so
    far and the number of those still to embed is returned beside it (else 0); the next call
    goes on with them."""
    state = _read_state(provisional)
    train = state.get("classifier_key") != state.get("wanted_key")
    stored = _stored_records(provisional) if meaning else []
    wanted = fingerprint([(r.id, r.hash) for r, _ in stored]) if meaning else ""
    embed = state.get("passages_key", "") != wanted
    if not train and not embed:
        return provisional, 0
    started = time.perf_counter()
    model = vectors = None
    pending = 0
    if train:
        pairs = classifier_module.training_phrasings(_public(phrasing_records(provisional)))
        with ix.searcher() as searcher:
            lexicon_words = _lexicon_words(searcher)
        state["classifier_key"] = classifier_key(pairs, lexicon_words)
        model = classifier_module.train_question_classifier(pairs, analyzer or Analyzer(lexicon_words))
        log.info("question classifier trained for %d phrasings in %.2fs", len(pairs),
                 time.perf_counter() - started)
    if embed:
        started = time.perf_counter()
        if meaning:
            vectors, pending = _passage_vectors(ix, provisional, stored, progress, stop)
        if not pending:
            state["passages_key"] = wanted
        if vectors is not None:
            log.info("%d passages of %d articles in %.2fs%s", len(vectors.vectors), len(stored),
                     time.perf_counter() - started, f" ({pending} articles to go)" if pending else "")

    def write(target: Path) -> None:
        for entry in os.scandir(provisional):  # all but what is new, as hard links
            if entry.name == STATE or (train and entry.name == "classifier") or (
                    embed and entry.name == PASSAGES):
                continue
            if entry.is_dir():
                _link_tree(Path(entry.path), target / entry.name)
            else:
                _link_or_copy(entry.path, str(target / entry.name))
        if model is not None:
            classifier_module.save(model, target / "classifier")
        if vectors is not None:
            passages.save(vectors, target / PASSAGES)

    generation, revision = (int(p) for p in provisional.name.split("."))
    return _publish(generation_dir, generation, revision + 1, {}, state, write), pending


def _passage_vectors(ix, path: Path, stored: list[tuple[ArticleRecord, int]], progress, stop
                     ) -> tuple[passages.PassageVectors | None, int]:
    """`search.passages.build` for the articles of derived folder `path`: the unit texts of those
    whose source changed are read from the index's stored unit documents."""
    previous = passages.load(path / PASSAGES) if (path / PASSAGES).is_dir() else None
    known = dict(zip(previous.article_ids, previous.hashes, strict=True)) if previous is not None else {}
    parent = np.load(path / "documents" / "parent.npy")
    units = np.load(path / "documents" / "units.npy")
    changed = {number for record, number in stored if known.get(record.id) != record.hash}
    children: dict[int, list[int]] = {}
    for unit in np.flatnonzero(units & np.isin(parent, list(changed))).tolist():
        children.setdefault(int(parent[unit]), []).append(unit)
    articles = []
    with ix.searcher() as searcher:
        for record, number in sorted(stored, key=lambda pair: pair[0].id):
            found = None  # unchanged: its vectors are kept
            if number in changed:
                found = [searcher.stored_fields(unit)["data"] for unit in children.get(number, [])]
                if not found and record.answer is not None:
                    found = [record.answer.to_dict()]
            articles.append((record, found))
    return passages.build(articles, previous, progress, stop)


# -- what each Whoosh segment contributes -------------------------------------------------------
AHEAD = ".pieces"  # derived/.pieces/<Whoosh segment id>/: new pieces stored ahead (`segment_piece`)
SEGMENTS = "segments"  # segments/<Whoosh segment id>/: a `_Piece`, hard-linked from commit to commit
SEGMENT_LIST = "segments.json"  # the commit's segments in order: id, first docnum, deleted documents
PASSAGES = "passages"  # the passage vectors' folder (`search.passages`)
LAYOUT = 4  # of the segments' files: an earlier commit's are re-used only when it is this one
# (3: long posting lists stored with each piece, 2026-12-07 — an index written before has every
# piece computed again at its next commit, so its old segments get their lists too; 4: records as
# JSON lines, `RECORDS`)
RECORDS = "records.jsonl"  # a piece's article documents (a JSON list), then one stored record a line
ARTICLES = "articles.json"  # [id, path, hash, tags] of every article of the commit (`indexed_articles`)
KINDS = {ARTICLE: 1, UNIT: 2, CONTENT: 3}  # codes of `_Piece.kinds` (0: anything else)
HIDDEN_VISIBILITY = ("internal", "draft")
REPARSED_MAX = 200  # deleted articles of one segment whose spelling words `_forget` takes from their Markdown
# Posting lists of at least this many documents (deleted ones included) are stored as arrays with
# the segment's piece: decoding Whoosh's blocks costs ~0.2 µs a posting, lists of 10,000–40,000
# documents (common Latin n-grams at 100,000 articles) were most of a long question's search.
STORED_POSTINGS = 256
POSTINGS = "postings.json"
POSTING_IDS, POSTING_WEIGHTS = "postings-ids.npy", "postings-weights.npy"


class _Piece:
    """What one Whoosh segment contributes to the derived state. A segment's documents never
    change once it is written — only which of them are deleted, which the commit lists — so
    a piece is computed once, from all of the segment's documents deleted or not, and re-used
    (hard-linked) by every later commit that still has the segment:

        arrays.npz      by document: kind code, its article document, hidden; the length byte
                        of each scored field (`length_bytes`)
        postings.json   the scored fields' posting lists of `STORED_POSTINGS` documents or more:
        postings-ids.npy, postings-weights.npy  {field: {term: [start, count]}} into the two
                        arrays (segment document numbers, weights), which searchers memory-map
                        and slice instead of decoding Whoosh's blocks (`SegmentPostings`)
        piece.json      [document, id, path, hash, tags] of each article document; the `spell`
                        words: {word: documents} (and the public's, where some are hidden)
        records.jsonl   the article documents (first line), then the stored record of each,
                        one a line (readers' catalog)
        phrasings.json  [title, questions, lang, public] of each article, in that order
    """

    def __init__(self, folder: Path | None = None):
        self.folder = folder  # where it is stored; None while it is new
        self.records: list | None = None
        self.phrasing: list | None = None
        self.written: Path | None = None  # a new piece stored ahead (`store_ahead`)
        self.suggested: list | None = None  # its articles' `_suggestions`, in place of their records
        self.postings: tuple[dict, np.ndarray, np.ndarray] | None = None  # `_long_postings`, while new
        if folder is not None:
            with np.load(folder / "arrays.npz") as arrays:
                self.kinds, self.parent = arrays["kinds"], arrays["parent"]
                self.hidden, self.lengths = arrays["hidden"], arrays["lengths"]
            data = json.loads((folder / "piece.json").read_text("utf-8"))
            self.articles, self.spelling, self.public = data["articles"], data["agents"], data.get("public")

    @classmethod
    def read(cls, leaf, records: dict[int, dict] | None = None) -> _Piece:
        """The piece of the segment `leaf` reads (a Whoosh segment reader). `records` (document number
        → stored record of each article document), from the process that wrote the segment, spare
        reading them back."""
        piece = cls()
        count = leaf.doc_count_all()
        piece.kinds = np.zeros(count, dtype=np.int8)
        for kind, code in KINDS.items():
            piece.kinds[_all_ids(leaf, "kind", kind)] = code
        piece.hidden = np.zeros(count, dtype=bool)
        for value in HIDDEN_VISIBILITY:
            piece.hidden[_all_ids(leaf, "visibility", value)] = True
        # An article's documents are written one after the other (article, content, units), into
        # one segment, and merges keep their order: each belongs to the article document before it.
        starts = np.where(piece.kinds == KINDS[ARTICLE], np.arange(count), -1)
        last = np.maximum.accumulate(starts) if count else starts
        piece.parent = np.where(piece.kinds > 0, last, -1).astype(np.int32)
        piece.lengths = _length_matrix(leaf)
        locals_ = np.flatnonzero(piece.kinds == KINDS[ARTICLE]).tolist()
        if records is not None and len(records) == len(locals_) and all(n in records for n in locals_):
            piece.records = [records[n] for n in locals_]
        else:
            piece.records = [leaf.stored_fields(n)["data"] for n in locals_]
        piece.articles = [[n, r["id"], r["path"], r["hash"], r["tags"]]
                          for n, r in zip(locals_, piece.records, strict=True)]
        piece.phrasing = [_phrasing(r) for r in piece.records]
        piece.spelling, piece.public = _segment_spelling(leaf, piece.hidden)
        piece.postings = _long_postings(leaf)
        return piece

    def store(self, target: Path) -> None:
        if self.folder is not None or self.written is not None:
            _link_tree(self.folder or self.written, target)
            return
        target.mkdir(parents=True)
        np.savez(target / "arrays.npz", kinds=self.kinds, parent=self.parent, hidden=self.hidden,
                 lengths=self.lengths)
        piece = {"articles": self.articles, "agents": self.spelling}
        if self.public is not None:
            piece["public"] = self.public
        for name, data in (("piece", piece), ("phrasings", self.phrasing)):
            (target / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        lines = [[a[0] for a in self.articles], *self.records]
        (target / RECORDS).write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                                      "utf-8")
        if self.postings is not None:
            table, ids, weights = self.postings
            np.save(target / POSTING_IDS, ids)
            np.save(target / POSTING_WEIGHTS, weights)
            (target / POSTINGS).write_text(json.dumps({"min": STORED_POSTINGS, "fields": table},
                                                      ensure_ascii=False), "utf-8")

    def store_ahead(self, target: Path) -> None:
        """Store the new piece in `target` now — `store` links its files from there — and keep its
        articles' suggestions instead of their records: what the process that wrote a segment (a
        full build's worker) does, so that the writer neither encodes nor receives the records."""
        self.store(target)
        self.written = target
        self.suggested = [_suggestions(record) for record in self.records]
        self.records = None
        self.postings = None  # stored: not sent to the writer

    def phrasings(self) -> list:
        if self.phrasing is None:
            self.phrasing = json.loads((self.folder / "phrasings.json").read_text("utf-8"))
        return self.phrasing


def _all_ids(leaf, field: str, value: str) -> np.ndarray:
    """Documents of the segment holding the term, deleted ones included."""
    term = value.encode("utf-8")
    if (field, term) not in leaf._terms:
        return np.zeros(0, dtype=np.int64)
    matcher = leaf._terms.matcher(field, term, leaf.schema[field].format)
    return np.fromiter(matcher.all_ids(), dtype=np.int64)


def _length_matrix(leaf) -> np.ndarray:
    """The length byte of each scored field (rows) by document of the segment (columns)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    count = leaf.doc_count_all()
    matrix = np.zeros((len(SCORED_FIELDS), count), dtype=np.uint8)
    for row, name in enumerate(SCORED_FIELDS):
        column = leaf._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        if column is not None:
            matrix[row] = np.frombuffer(length_bytes(column, count), dtype=np.uint8)
    return matrix


_TERM_DF, _TERM_DF_AT = struct.Struct("!I"), 5  # W3TermInfo ("!BfIBBfII"): its document frequency


def _long_postings(leaf) -> tuple[dict, np.ndarray, np.ndarray]:
    """The segment's posting lists in scored fields with `STORED_POSTINGS` documents or more, deleted
    documents included (a searcher leaves out those its commit deleted): ({field: {term: [start,
    count]}}, document numbers, weights), the lists one after the other."""
    from search.scoring import segment_postings

    scored = set(SCORED_FIELDS)
    table: dict[str, dict[str, list[int]]] = {}
    ids, weights, start = [], [], 0
    # The terms with enough documents, from the term table's raw entries: the document frequency of
    # each is read from its W3TermInfo bytes rather than decoding the whole of every term's (a third
    # of the time for a 15,000-article segment of a full build's worker: 145,000 terms, 800 long).
    terms, decode = leaf._terms, leaf._terms._keydecoder
    long = [decode(key) for key, value in terms._tindex.items()
            if _TERM_DF.unpack_from(value, _TERM_DF_AT)[0] >= STORED_POSTINGS]
    for field, term in long:
        if field in scored:
            text = term.decode("utf-8")
            found, found_weights = segment_postings(leaf, field, text, deleted=False)
            table.setdefault(field, {})[text] = [start, len(found)]
            ids.append(found.astype(np.int32))
            weights.append(found_weights)
            start += len(found)
    if not ids:
        return table, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    return table, np.concatenate(ids), np.concatenate(weights)


def _segment_spelling(leaf, hidden: np.ndarray) -> tuple[dict[str, int], dict[str, int] | None]:
    """The segment's spelling words with the number of its documents (deleted ones included) that
    hold each, and among them those the public sees (None: the same, no document is hidden)."""
    agents: dict[str, int] = {}
    public: dict[str, int] | None = None if not hidden.any() else {}
    for word, info in leaf.iter_field("spell"):
        word = word.decode("utf-8") if isinstance(word, bytes) else word
        if public is None:  # from the term index, no postings read
            agents[word] = info.doc_frequency()
            continue
        ids = _all_ids(leaf, "spell", word)
        agents[word] = len(ids)
        shown = int((~hidden[ids]).sum())
        if shown:
            public[word] = shown
    return agents, public


def _phrasing(record: dict) -> list:
    return [record["title"], record["questions"], record["lang"], is_public(record)]


def segment_piece(leaf, generation_dir: Path | None = None, records: dict[int, dict] | None = None) -> _Piece:
    """What the new Whoosh segment `leaf` (a segment reader) contributes, for `build(pieces=…)`;
    with `generation_dir`, stored ahead there (`_Piece.store_ahead`; `build` clears them away);
    `records`: the article documents' stored records as the writer of the segment added them."""
    piece = _Piece.read(leaf, records)
    if generation_dir is not None:
        piece.store_ahead(folder(generation_dir) / AHEAD / leaf.segment().segment_id())
    return piece


class _Commit:
    """The segments of one commit with their pieces and deletions, and what follows from them."""

    def __init__(self, reader, earlier: Path | None, pieces: dict | None = None):
        self.reader = reader
        self.earlier = earlier
        listed = {}
        if earlier is not None:
            listed = {s["id"]: s for s in json.loads((earlier / SEGMENT_LIST).read_text("utf-8"))["segments"]}
        self.segments = []  # (segment id, offset, piece, deleted, removed words, leaf)
        self.gone: list[tuple[_Piece, set[int]]] = []  # earlier segments no longer there (merged, emptied)
        self.new_deletions: list[tuple[_Piece, list[int], object]] = []
        present = set()
        for leaf, offset in _leaves(reader):
            segment = leaf.segment()
            segid = segment.segment_id()
            present.add(segid)
            deleted = set(segment.deleted_docs()) if leaf.has_deletions() else set()
            before = listed.get(segid)
            if before is not None and (earlier / SEGMENTS / segid).is_dir():
                piece = _Piece(earlier / SEGMENTS / segid)
                known, removed = set(before["deleted"]), {w: list(n) for w, n in before["removed"].items()}
            else:
                piece = (pieces or {}).get(segid) or _Piece.read(leaf)
                known, removed = set(), {}
            fresh = sorted(deleted - known)
            if fresh:
                removed = _forget(leaf, piece, fresh, removed)
                if piece.folder is not None:
                    self.new_deletions.append((piece, fresh, leaf))
            self.segments.append((segid, offset, piece, deleted, removed, leaf))
        for segid, before in listed.items():
            if segid not in present and (earlier / SEGMENTS / segid).is_dir():
                self.gone.append((_Piece(earlier / SEGMENTS / segid), set(before["deleted"])))

    def listing(self) -> list[dict]:
        return [{"id": segid, "offset": offset, "deleted": sorted(deleted), "removed": removed}
                for segid, offset, _, deleted, removed, _ in self.segments]

    def store_pieces(self, target: Path) -> None:
        target.mkdir()
        for segid, _, piece, _, _, _ in self.segments:
            piece.store(target / segid)

    def articles(self) -> list:
        """[id, path, hash, tags] of each article of the commit."""
        return [a[1:] for _, _, piece, deleted, _, _ in self.segments for a in piece.articles
                if a[0] not in deleted]

    def _touched(self) -> tuple[list[dict], list[dict]]:
        """(records before, after) of the articles whose documents this commit deleted or wrote: the
        phrasing data of articles deleted since the earlier commit, and of new segments' articles."""
        before, after = [], []
        for piece, fresh, leaf in self.new_deletions:
            at = {a[0]: a for a in piece.articles}
            for n in fresh:
                if n in at:
                    before.append((at[n][1], _phrasing(leaf.stored_fields(n)["data"])))
        for piece, deleted in self.gone:
            before += [(a[1], p) for a, p in zip(piece.articles, piece.phrasings(), strict=True)
                       if a[0] not in deleted]
        for _, _, piece, deleted, _, _ in self.segments:
            if piece.folder is None:
                after += [(a[1], p) for a, p in zip(piece.articles, piece.phrasing, strict=True)
                          if a[0] not in deleted]
        return before, after

    def phrasings_changed(self) -> bool:
        before, after = self._touched()
        return sorted(map(json.dumps, before)) != sorted(map(json.dumps, after))

    def phrasing_records(self) -> dict[str, dict]:
        """id → what `search.phrasings` reads of each article (title, questions, lang, visibility)."""
        catalog = {}
        for _, _, piece, deleted, _, _ in self.segments:
            for a, p in zip(piece.articles, piece.phrasings(), strict=True):
                if a[0] not in deleted:
                    catalog[a[1]] = _phrasing_record(p)
        return catalog

    def suggestions(self) -> list:
        fresh, touched = [], set()
        for _, _, piece, deleted, _, _ in self.segments:
            if piece.folder is None and piece.suggested is not None:  # stored ahead
                for a, suggested in zip(piece.articles, piece.suggested, strict=True):
                    touched.add(a[1])
                    if a[0] not in deleted:
                        fresh += suggested
            elif piece.folder is None:
                for a, record in zip(piece.articles, piece.records, strict=True):
                    touched.add(a[1])
                    if a[0] not in deleted:
                        fresh += _suggestions(record)
        if self.earlier is None:
            return sorted(fresh)
        for piece, fresh_deleted, _ in self.new_deletions:
            at = {a[0]: a[1] for a in piece.articles}
            touched.update(at[n] for n in fresh_deleted if n in at)
        for piece, deleted in self.gone:  # its live articles were merged into a new segment, or deleted
            touched.update(a[1] for a in piece.articles if a[0] not in deleted)
        earlier = json.loads((self.earlier / "suggestions.json").read_text("utf-8"))
        kept = [s for s in earlier if s[2] not in touched]
        return sorted(kept + fresh)

    def spelling(self) -> dict[bool, dict[str, int]]:
        agents: dict[str, int] = {}
        public: dict[str, int] = {}
        any_hidden = False
        for _, _, piece, _, removed, _ in self.segments:
            any_hidden = any_hidden or piece.public is not None
            for counts, of_public in ((agents, False), (public, True)):
                own = piece.public if of_public and piece.public is not None else piece.spelling
                for word, n in own.items():
                    counts[word] = counts.get(word, 0) + n
                for word, gone in removed.items():
                    counts[word] = counts.get(word, 0) - gone[of_public]
        agents = {w: agents[w] for w in sorted(agents) if agents[w] > 0}
        if not any_hidden:
            return {True: agents, False: agents}
        return {True: agents, False: {w: public[w] for w in sorted(public) if public[w] > 0}}

    def lengths(self) -> dict[str, np.ndarray]:
        table = _length_table()
        return {name: np.concatenate([table[piece.lengths[row]] for _, _, piece, _, _, _ in self.segments])
                if self.segments else np.zeros(0, dtype=np.float32) for row, name in enumerate(SCORED_FIELDS)}

    def documents(self) -> dict[str, np.ndarray]:
        articles, units, parents = [], [], []
        for _, offset, piece, deleted, _, _ in self.segments:
            live = np.ones(len(piece.kinds), dtype=bool)
            live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
            articles.append((piece.kinds == KINDS[ARTICLE]) & live)
            units.append((piece.kinds == KINDS[UNIT]) & live)
            parent = piece.parent.astype(np.int64)
            has = live & (parent >= 0)
            has[has] &= live[parent[has]]
            parents.append(np.where(has, parent + offset, -1))
        return {"articles": _joined(articles, bool), "units": _joined(units, bool),
                "parent": _joined(parents, np.int64)}


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _leaves(reader) -> list:
    return list(reader.leaf_readers()) if hasattr(reader, "leaf_readers") else [(reader, 0)]


@functools.cache
def _length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    return np.array([0, *(byte_to_length(b) for b in range(1, 256))], dtype=np.float32)


def _suggestions(record: dict) -> list[list]:
    """(folded text, text, article id, is a question) of the article's title and questions."""
    return [list(entry) for entry in sorted(
        {(fold_text(text).lower(), text, record["id"], n > 0)
         for n, text in enumerate((record["title"], *record["questions"]))})]


def _phrasing_record(phrasing: list) -> dict:
    title, questions, lang, public = phrasing
    return {"title": title, "questions": questions, "lang": lang,
            "visibility": "public" if public else "internal", "draft": False}


def _forget(leaf, piece: _Piece, fresh: list[int], removed: dict[str, list[int]]) -> dict[str, list[int]]:
    """`removed` (spelling words of the segment's deleted documents: word → [documents, public
    documents]) with the words of the documents in `fresh`, newly deleted, added: taken again from
    the Markdown each article's content document stored, as indexing took them. If that cannot be
    done (or gives a word the segment does not hold), the segment's live words are counted from
    its postings instead."""
    from kb.articles import ArticleError, parse_article
    from search.documents import spelling_words

    removed = {w: list(n) for w, n in removed.items()}
    by_doc = {a[0]: a for a in piece.articles}
    articles = [n for n in fresh if piece.kinds[n] == KINDS[ARTICLE]]
    if len(articles) > REPARSED_MAX:  # parsing them would cost more than reading the postings
        return _removed_by_postings(leaf, piece)
    for n in articles:
        contents = np.flatnonzero((piece.parent == n) & (piece.kinds == KINDS[CONTENT]))
        try:
            if len(contents) != 1:
                raise LookupError(n)
            source = leaf.stored_fields(int(contents[0]))["data"]["source"]
            words = spelling_words(parse_article(source.encode("utf-8"), by_doc[n][2]))
        except (ArticleError, LookupError, KeyError, TypeError):
            return _removed_by_postings(leaf, piece)
        if any(("spell", w.encode("utf-8")) not in leaf._terms for w in words):
            return _removed_by_postings(leaf, piece)
        for word in words:
            gone = removed.setdefault(word, [0, 0])
            gone[0] += 1
            gone[1] += 0 if piece.hidden[n] else 1
    return removed


def _removed_by_postings(leaf, piece: _Piece) -> dict[str, list[int]]:
    """The words of the segment's deleted documents, counted as what its postings still hold."""
    log.info("counting the spelling words of segment %s from its postings", leaf.segment().segment_id())
    removed = {}
    for word, n in piece.spelling.items():
        live = list(leaf.postings("spell", word).all_ids())
        shown = int((~piece.hidden[live]).sum()) if live else 0
        public = piece.public.get(word, 0) if piece.public is not None else n
        if n - len(live) or public - shown:
            removed[word] = [n - len(live), public - shown]
    return removed


def indexed_articles(path: Path) -> dict[str, dict] | None:
    """relpath → {id, path, hash, tags} of every article of derived folder `path` (None: not stored)."""
    try:
        rows = json.loads((path / ARTICLES).read_text("utf-8"))["articles"]
    except (OSError, ValueError, KeyError):
        return None
    return {row[1]: {"id": row[0], "path": row[1], "hash": row[2], "tags": row[3]} for row in rows}


def phrasing_records(path: Path) -> dict[str, dict]:
    """What `_Commit.phrasing_records` gave for the commit of derived folder `path`."""
    catalog = {}
    for entry in json.loads((path / SEGMENT_LIST).read_text("utf-8"))["segments"]:
        piece = path / SEGMENTS / entry["id"]
        deleted = set(entry["deleted"])
        articles = json.loads((piece / "piece.json").read_text("utf-8"))["articles"]
        phrasings = json.loads((piece / "phrasings.json").read_text("utf-8"))
        for a, p in zip(articles, phrasings, strict=True):
            if a[0] not in deleted:
                catalog[a[1]] = _phrasing_record(p)
    return catalog


def _publish(generation_dir: Path, generation: int, revision: int, files: dict, state: dict, write) -> Path:
    base = folder(generation_dir)
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        for name, data in files.items():
            (tmp / name).write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        write(tmp)
        (tmp / STATE).write_text(json.dumps(state), "utf-8")
        target = base / _name(generation, revision)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(base, generation)
    return target


def _prune(base: Path, generation: int) -> None:
    """Drop the derived state of all but the last `KEEP` commits, and older revisions of each
    (the one before the newest revision of `generation` stays: a reader may be loading it)."""
    finished = sorted(tuple(int(p) for p in e.name.split("."))
                      for e in os.scandir(base) if e.name[0].isdigit())
    kept_generations = sorted({g for g, _ in finished})[-KEEP:]
    newest = {g: r for g, r in finished}  # sorted: the last revision wins
    for g, r in finished:
        stale = r < newest[g] - (1 if g == generation else 0)
        if g not in kept_generations or stale:
            shutil.rmtree(base / _name(g, r), ignore_errors=True)


def _link_tree(source: Path, target: Path) -> None:
    """`target` as a copy of `source` made of hard links (a plain copy where links fail)."""
    shutil.copytree(source, target, copy_function=_link_or_copy)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _public(catalog: dict[str, dict]) -> dict[str, dict]:
    """The classifier learns the public's phrasings only: internal articles change no public rank."""
    return {article_id: record for article_id, record in catalog.items() if is_public(record)}


def hidden(reader) -> np.ndarray:
    """By docnum: documents of articles the public may not see (internal, drafts)."""
    hidden = np.zeros(reader.doc_count_all(), dtype=bool)
    for value in ("internal", "draft"):
        if ("visibility", value) in reader:
            hidden[list(reader.postings("visibility", value).all_ids())] = True
    return hidden


def length_bytes(column, count: int) -> bytes:
    """The `count` bytes of a segment's length column (Whoosh 2.7's codec: one byte per document,
    0 past the documents it stored)."""
    stored = min(column._count, count)
    return bytes(column._dbfile.get(column._basepos, stored)) + bytes(count - stored)


def _lexicon_words(searcher) -> list[tuple]:
    meta = searcher.document(uid="meta")
    return [tuple(w) for w in (meta["data"] if meta else {}).get("lexicon", {}).get("words", [])]


def _read_state(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        return json.loads((path / STATE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


# -- reading -----------------------------------------------------------------------------------
def complete(path: Path) -> bool:
    """Whether `path` holds all `load` reads: a derived folder stored by an earlier kb (without the
    segment list or the document map) is computed again instead."""
    return (path / SEGMENT_LIST).is_file() and (path / "documents").is_dir()


def load(path: Path, analyzer: Analyzer) -> Derived:
    """What `build` stored in `path`; arrays memory-mapped."""
    state = json.loads((path / STATE).read_text("utf-8"))
    catalog = {}
    docnums = {}
    for record, number in _stored_records(path):
        catalog[record.id] = record
        docnums[record.id] = number
    model = classifier_module.load(path / "classifier", analyzer) if (path / "classifier").is_dir() else None
    spelling = json.loads((path / "spelling.json").read_text("utf-8"))
    meaning = embeddings.load(path / "meaning")[0] if (path / "meaning").is_dir() else None
    vectors = passages.load(path / PASSAGES) if (path / PASSAGES).is_dir() else None
    generation, revision = (int(p) for p in path.name.split("."))
    return Derived(
        generation=generation, revision=revision, catalog=catalog, docnums=docnums,
        postings=_stored_postings(path),
        suggestions=[tuple(s) for s in json.loads((path / "suggestions.json").read_text("utf-8"))],
        spelling={True: spelling["agents"], False: spelling["public"]},
        lengths={name: np.load(path / "lengths" / f"{name}.npy", mmap_mode="r")
                 for name in SCORED_FIELDS},
        documents={name: np.load(path / "documents" / f"{name}.npy", mmap_mode="r")
                   for name in ("articles", "units", "parent")},
        classifier=model, classifier_key=state.get("classifier_key", ""),
        meaning=meaning, meaning_key=state.get("meaning_key", ""), by_tag=_by_tag(catalog),
        passages=vectors)


def _stored_records(path: Path) -> list[tuple[ArticleRecord, int]]:
    """(record, document number) of each article of the commit, in document order. The records of
    a segment are made once per process: a newer commit of the same generation (after an edit)
    re-uses those of every segment it still has, so a reader's reload reads only new segments."""
    found = []
    for entry, records in _per_segment(path, _records_made, _piece_records):
        deleted, offset = set(entry["deleted"]), entry["offset"]
        found += [(record, offset + number) for number, record in records if number not in deleted]
    return found


def _per_segment(path: Path, made: dict, make) -> list[tuple[dict, object]]:
    """(entry of the commit's segment list, `make(piece folder)`) for each segment of derived folder
    `path`, made once per process and segment: what `made` holds from the last commit loaded is
    re-used — a newer commit of the same generation shares most of its segments — and `made` then
    holds this commit's (but for the Nones `make` gave, tried again next time)."""
    found, used = [], {}
    for entry in json.loads((path / SEGMENT_LIST).read_text("utf-8"))["segments"]:
        key = (str(path.parent.parent), entry["id"])  # segment ids are unique within a generation
        with _made_lock:
            value = made.get(key)
        if value is None:
            value = make(path / SEGMENTS / entry["id"])
        if value is not None:
            used[key] = value
        found.append((entry, value))
    with _made_lock:
        made.clear()
        made.update(used)
    return found


_records_made: dict[tuple[str, str], list[tuple[int, ArticleRecord]]] = {}
_postings_made: dict[tuple[str, str], SegmentPostings] = {}
_made_lock = threading.Lock()


class SegmentPostings:
    """One Whoosh segment's long posting lists as the writer stored them (`_long_postings`),
    memory-mapped: a list is a slice of two arrays, read by no lock and decoded by no one."""

    def __init__(self, folder: Path):
        data = json.loads((folder / POSTINGS).read_text("utf-8"))
        self.min = data["min"]  # every list of the scored fields this long or longer is here
        self._table = data["fields"]
        self._ids = np.load(folder / POSTING_IDS, mmap_mode="r")
        self._weights = np.load(folder / POSTING_WEIGHTS, mmap_mode="r")

    def get(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(segment document numbers, weights) of the stored list, deleted documents included; None
        when the list is not stored (shorter than `min`, or absent)."""
        place = self._table.get(field, {}).get(term)
        if place is None:
            return None
        start, count = place
        return self._ids[start:start + count], self._weights[start:start + count]


def _stored_postings(path: Path) -> dict[str, SegmentPostings]:
    """Segment id → `SegmentPostings` of each segment of derived folder `path` that has them (pieces
    written by an earlier kb have none: their lists are decoded). Made once per process and
    segment, like the records: a new commit maps only its new segments' arrays."""
    if not (path / SEGMENT_LIST).is_file():
        return {}
    made = _per_segment(path, _postings_made,
                        lambda piece: SegmentPostings(piece) if (piece / POSTINGS).is_file() else None)
    return {entry["id"]: postings for entry, postings in made if postings is not None}


def _piece_records(piece: Path) -> list[tuple[int, ArticleRecord]]:
    """(document, record) of each article of segment piece `piece`. A reader loads a version in a
    thread beside the searches: the records are read a line at a time, and between lines the
    searches run (one `json.loads` of a whole file held the interpreter for it — the records of
    4,500 tldr pages, 7 MB: 200–500 ms in which no request of the worker moved)."""
    if (piece / RECORDS).is_file():
        with open(piece / RECORDS, encoding="utf-8") as lines:
            numbers = json.loads(next(lines))
            records = [json.loads(line) for line in lines]
    else:  # stored by an earlier kb, until its next commit computes the piece again
        data = json.loads((piece / "records.json").read_text("utf-8"))
        if isinstance(data, list):  # the first layout: documents in articles.json
            numbers = [a[0] for a in json.loads((piece / "articles.json").read_text("utf-8"))]
            data = {"docnums": numbers, "records": data}
        numbers, records = data["docnums"], data["records"]
    return [(number, ArticleRecord.from_stored(record))
            for number, record in zip(numbers, records, strict=True)]


def compute(searcher, analyzer: Analyzer, lexicon_words: list) -> Derived:
    """The derived state computed in this process: only for an index that has none stored
    (written by an older kb); `kb index` stores it."""
    state, raw = _computed(searcher, lexicon_words)
    state.classifier = classifier_module.train_question_classifier(
        classifier_module.training_phrasings(_public(raw)), analyzer)
    state.meaning = embeddings.embed_phrasings(embeddings.embedding_phrasings(raw))
    return state


def _computed(searcher, lexicon_words: list) -> tuple[Derived, dict[str, dict]]:
    """`compute` but for the models (their keys are there): the state, and the stored records."""
    commit = _Commit(searcher.reader(), None)
    catalog, docnums, raw = {}, {}, {}
    for _, offset, piece, deleted, _, _ in commit.segments:
        for article, record in zip(piece.articles, piece.records, strict=True):
            if article[0] not in deleted:
                catalog[record["id"]] = ArticleRecord.from_stored(record)
                docnums[record["id"]] = offset + article[0]
                raw[record["id"]] = record
    pairs = classifier_module.training_phrasings(_public(raw))
    return Derived(
        generation=searcher.reader().generation(), revision=-1, catalog=catalog, docnums=docnums,
        postings={},
        suggestions=[tuple(s) for s in commit.suggestions()], spelling=commit.spelling(),
        lengths=commit.lengths(), documents=commit.documents(),
        classifier=None, classifier_key=classifier_key(pairs, lexicon_words),
        meaning=None, meaning_key=fingerprint(embeddings.embedding_phrasings(raw)),
        by_tag=_by_tag(catalog)), raw


def _by_tag(catalog: dict[str, ArticleRecord]) -> dict[str, list[str]]:
    by_tag: dict[str, list[str]] = {}
    for record in catalog.values():
        for tag in record.tags:
            by_tag.setdefault(tag, []).append(record.id)
    return by_tag


def placed(model, docnums: dict[str, int]) -> np.ndarray:
    """The article document of each of `model`'s articles (-1: not in this commit)."""
    ids = model.article_ids if model is not None else []
    return np.fromiter((docnums.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))
