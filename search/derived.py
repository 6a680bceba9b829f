"""State derived from one commit of the index, built by the writer and only loaded by readers.

Searching needs more than Whoosh's postings: the catalog of article records, the
type-ahead list, the spelling vocabulary, the question classifier and the phrasing
vectors. The writer (`search.indexer`) computes them right after each commit and
stores them beside the index, keyed by the commit (Whoosh's TOC generation):

    gen-*/derived/<generation>.<revision>/
        state.json           keys of what is inside; written last
        catalog.json         article records with their document numbers
        suggestions.json     (folded text, text, article id, is a question) of titles and questions
        spelling.json        the spelling vocabularies with document frequencies (agents', the public's)
        lengths/<field>.npy  field lengths by document number, for BM25
        documents/           by document number: which are articles and units (bool .npy) and the
                             article document of each (parent.npy, -1: none or deleted)
        classifier/          the question classifier (numpy arrays + JSON), if there is one
        meaning/             the phrasing vectors (.npy) and their phrasings, if there are any

A folder is written under a temporary name and renamed into place, so a reader sees
all of it or nothing. Arrays are .npy files that readers memory-map: the worker
processes of one machine share their pages. Nothing is pickled.

Incremental by construction: the classifier is re-trained only when the phrasings it
learns from (or the dictionary) change, and only new phrasings are embedded. When
the classifier must be re-trained, revision 0 goes out at once with the previous
classifier (articles it does not know just get no help from it) and revision 1
follows when training is done, so a saved file is searchable without waiting.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search import classifier as classifier_module
from search import embeddings, store
from search.analysis import Analyzer, fold_text
from search.phrasings import fingerprint
from search.records import ArticleRecord, is_public
from search.schema import (
    ARTICLE,
    ARTICLE_FIELDS,
    CHARS_FIELD,
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
    documents: dict[str, np.ndarray] | None  # "articles", "units", "parent" by docnum (None: not stored)
    classifier: object | None  # a QuestionClassifier
    classifier_key: str
    meaning: object | None  # PhrasingVectors
    meaning_key: str
    by_tag: dict[str, list[str]]


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
          analyzer: Analyzer | None = None) -> tuple[Path, bool]:
    """Compute and store the derived state of the index's latest commit: (its folder, whether its
    classifier is provisional and `finish` should follow).

    `previous` is a derived folder to re-use models from (of this or the previous generation).
    With `train=False` and a `previous` folder, a changed classifier is left to `finish`.
    `analyzer` is the index's (made from its lexicon when training needs one and none is given).
    """
    generation_dir = Path(generation_dir)
    with ix.searcher() as searcher:
        generation = searcher.reader().generation()
        lexicon_words = _lexicon_words(searcher)
        numbers = sorted(searcher.document_numbers(kind=ARTICLE))
        records = [searcher.stored_fields(n)["data"] for n in numbers]
        spelling = _spelling(searcher.reader())
        lengths = _lengths(searcher.reader())
        documents = document_map(searcher.reader())
    catalog = {record["id"]: record for record in records}
    pairs = classifier_module.training_phrasings(_public(catalog))
    key = classifier_key(pairs, lexicon_words)
    old_state = _read_state(previous)
    files: dict[str, object] = {
        "catalog.json": {"records": records, "docnums": numbers},
        "suggestions.json": sorted(
            {(fold_text(text).lower(), text, record["id"], n > 0) for record in records
             for n, text in enumerate((record["title"], *record["questions"]))}),
        "spelling.json": {"agents": spelling[True], "public": spelling[False]},
    }
    state = {"generation": generation, "classifier_key": key, "wanted_key": key, "meaning_key": ""}
    reuse_classifier = previous is not None and (old_state.get("classifier_key") == key or not train)
    meaning_pairs = embeddings.embedding_phrasings(catalog)
    state["meaning_key"] = fingerprint(meaning_pairs)

    def write(target: Path) -> None:
        (target / "lengths").mkdir()
        for name, array in lengths.items():
            np.save(target / "lengths" / f"{name}.npy", array)
        (target / "documents").mkdir()
        for name, array in documents.items():
            np.save(target / "documents" / f"{name}.npy", array)
        if reuse_classifier and (previous / "classifier").is_dir():
            _link_tree(previous / "classifier", target / "classifier")
            state["classifier_key"] = old_state.get("classifier_key", "")
        elif not reuse_classifier:
            model = classifier_module.train_question_classifier(pairs, analyzer or Analyzer(lexicon_words))
            if model is not None:
                classifier_module.save(model, target / "classifier")
        else:
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

    revision = 0
    if previous is not None and previous.parent == folder(generation_dir) and previous.name.startswith(
            f"{generation:08d}."):
        revision = int(previous.name.split(".")[1]) + 1
    path = _publish(generation_dir, generation, revision, files, state, write)
    return path, state["classifier_key"] != key


def finish(generation_dir: Path, ix, provisional: Path, analyzer: Analyzer | None = None) -> Path:
    """After `build(train=False)`: the next revision with the classifier trained on this commit's
    phrasings, if the provisional one carried an older classifier; else `provisional`."""
    state = _read_state(provisional)
    if state.get("classifier_key") == state.get("wanted_key"):
        return provisional
    records = json.loads((provisional / "catalog.json").read_text("utf-8"))["records"]
    pairs = classifier_module.training_phrasings(_public({record["id"]: record for record in records}))
    with ix.searcher() as searcher:
        lexicon_words = _lexicon_words(searcher)
    key = classifier_key(pairs, lexicon_words)
    started = time.perf_counter()
    model = classifier_module.train_question_classifier(pairs, analyzer or Analyzer(lexicon_words))
    state["classifier_key"] = key
    files = {name: None for name in ("catalog.json", "suggestions.json", "spelling.json")}

    def write(target: Path) -> None:
        for name in files:
            os.link(provisional / name, target / name)
        _link_tree(provisional / "lengths", target / "lengths")
        if (provisional / "documents").is_dir():
            _link_tree(provisional / "documents", target / "documents")
        if model is not None:
            classifier_module.save(model, target / "classifier")
        if (provisional / "meaning").is_dir():
            _link_tree(provisional / "meaning", target / "meaning")

    generation, revision = (int(p) for p in provisional.name.split("."))
    path = _publish(generation_dir, generation, revision + 1, {}, state, write)
    log.info("question classifier trained for %d phrasings in %.2fs", len(pairs),
             time.perf_counter() - started)
    return path


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


def _spelling(reader) -> dict[bool, dict[str, int]]:
    """Spelling vocabularies with document frequencies: every word for agents, the words of
    public articles for the public (internal words never leak through did-you-mean)."""
    hidden_docs = hidden(reader)
    if not hidden_docs.any():  # one vocabulary; frequencies from the term index, no postings read
        agents: dict[str, int] = {}
        # Segment by segment, summed as a multi-segment reader's term info sums them (its own
        # iter_field looks each term up in every segment: seconds for an index of many segments).
        for leaf, _ in reader.leaf_readers():
            for word, info in leaf.iter_field("spell"):
                word = word.decode("utf-8") if isinstance(word, bytes) else word
                agents[word] = agents.get(word, 0) + info.doc_frequency()
        return {True: agents, False: agents}
    agents, public = {}, {}
    for raw in reader.lexicon("spell"):
        word = raw.decode("utf-8")
        ids = list(reader.postings("spell", word).all_ids())
        agents[word] = len(ids)
        shown = sum(1 for docnum in ids if not hidden_docs[docnum])
        if shown:
            public[word] = shown
    return {True: agents, False: public}


def _lengths(reader) -> dict[str, np.ndarray]:
    """Length of each scored field by docnum, as `reader.doc_field_length` gives it."""
    try:
        return _segment_lengths(reader)
    except Exception:  # another Whoosh codec: ask document by document (about 15 µs each)
        size = reader.doc_count_all()
        return {name: np.fromiter((reader.doc_field_length(d, name, 0) or 0 for d in range(size)),
                                  dtype=np.float32, count=size) for name in SCORED_FIELDS}


def _segment_lengths(reader) -> dict[str, np.ndarray]:
    """The same, read a segment's length column at once: Whoosh 2.7's codec stores one
    byte per document (a logarithmic approximation), so each column is a byte array."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    table = np.array([0, *(byte_to_length(b) for b in range(1, 256))], dtype=np.float32)
    segments = reader.readers if hasattr(reader, "doc_offsets") else [reader]
    out = {}
    for name in SCORED_FIELDS:
        parts = []
        for segment in segments:
            count = segment.doc_count_all()
            column = segment._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
            raw = np.zeros(count, dtype=np.uint8)
            if column is not None:
                raw[:] = np.frombuffer(length_bytes(column, count), dtype=np.uint8)
            parts.append(table[raw])
        out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return out


def length_bytes(column, count: int) -> bytes:
    """The `count` bytes of a segment's length column (Whoosh 2.7's codec: one byte per document,
    0 past the documents it stored)."""
    stored = min(column._count, count)
    return bytes(column._dbfile.get(column._basepos, stored)) + bytes(count - stored)


def document_map(reader) -> dict[str, np.ndarray]:
    """By docnum: whether it is an article or a unit, and its article's document (-1: none; a
    deleted document, which lingers until a merge, has none)."""
    size = reader.doc_count_all()
    kinds = {}
    for kind in (ARTICLE, UNIT):
        kinds[kind] = np.zeros(size, dtype=bool)
        if ("kind", kind) in reader:
            kinds[kind][np.fromiter(reader.postings("kind", kind).all_ids(), dtype=np.int64)] = True
    parent = np.full(size, -1, dtype=np.int64)
    # Segment by segment: an article's documents are written together, into one segment, and a
    # multi-segment reader would look every id up in every segment (seconds at 30,000 articles).
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    for leaf, offset in leaves:
        for term in leaf.lexicon("article_id"):
            docs = np.fromiter(leaf.postings("article_id", term).all_ids(), dtype=np.int64) + offset
            article = docs[kinds[ARTICLE][docs]]
            if len(article):
                parent[docs] = article[0]
    return {"articles": kinds[ARTICLE], "units": kinds[UNIT], "parent": parent}


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
def load(path: Path, analyzer: Analyzer) -> Derived:
    """What `build` stored in `path`; arrays memory-mapped."""
    state = json.loads((path / STATE).read_text("utf-8"))
    catalog_data = json.loads((path / "catalog.json").read_text("utf-8"))
    catalog = {}
    docnums = {}
    for record, number in zip(catalog_data["records"], catalog_data["docnums"], strict=True):
        catalog[record["id"]] = ArticleRecord.from_stored(record)
        docnums[record["id"]] = number
    model = classifier_module.load(path / "classifier", analyzer) if (path / "classifier").is_dir() else None
    spelling = json.loads((path / "spelling.json").read_text("utf-8"))
    meaning = embeddings.load(path / "meaning")[0] if (path / "meaning").is_dir() else None
    generation, revision = (int(p) for p in path.name.split("."))
    return Derived(
        generation=generation, revision=revision, catalog=catalog, docnums=docnums,
        suggestions=[tuple(s) for s in json.loads((path / "suggestions.json").read_text("utf-8"))],
        spelling={True: spelling["agents"], False: spelling["public"]},
        lengths={name: np.load(path / "lengths" / f"{name}.npy", mmap_mode="r")
                 for name in SCORED_FIELDS},
        documents={name: np.load(path / "documents" / f"{name}.npy", mmap_mode="r")
                   for name in ("articles", "units", "parent")} if (path / "documents").is_dir() else None,
        classifier=model, classifier_key=state.get("classifier_key", ""),
        meaning=meaning, meaning_key=state.get("meaning_key", ""), by_tag=_by_tag(catalog))


def compute(searcher, analyzer: Analyzer, lexicon_words: list) -> Derived:
    """The derived state computed in this process: only for an index that has none stored
    (written by an older kb); `kb index` stores it."""
    numbers = sorted(searcher.document_numbers(kind=ARTICLE))
    records = [searcher.stored_fields(n)["data"] for n in numbers]
    catalog = {record["id"]: ArticleRecord.from_stored(record) for record in records}
    raw = {record["id"]: record for record in records}
    pairs = classifier_module.training_phrasings(_public(raw))
    meaning_pairs = embeddings.embedding_phrasings(raw)
    return Derived(
        generation=searcher.reader().generation(), revision=-1, catalog=catalog,
        docnums={record["id"]: n for record, n in zip(records, numbers, strict=True)},
        suggestions=sorted({(fold_text(text).lower(), text, r.id, n > 0) for r in catalog.values()
                            for n, text in enumerate((r.title, *r.questions))}),
        spelling=_spelling(searcher.reader()), lengths=_lengths(searcher.reader()),
        documents=document_map(searcher.reader()),
        classifier=classifier_module.train_question_classifier(pairs, analyzer),
        classifier_key=classifier_key(pairs, lexicon_words),
        meaning=embeddings.embed_phrasings(meaning_pairs), meaning_key=fingerprint(meaning_pairs),
        by_tag=_by_tag(catalog))


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
