"""BM25F ranking over the Whoosh index's postings, computed with numpy.

Whoosh stores the postings and field lengths; scoring a query through Whoosh's
matcher trees costs pure-Python work per matching document per query term, which
on short-question knowledge bases (a common word in most titles) made searches
ten times slower than the peers. Here each (field, term) posting list is read once
per index version, turned into per-document BM25 scores, and a query's score is a
handful of vectorized additions. The result is the same model Whoosh's `BM25F`
computes — per-field BM25 summed with field weights — and an exact match count.

A search's arrays are over its `Candidates` — the documents its postings touch — not over
every document of the index, so its cost follows the postings it reads.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import pickle
import struct
import zlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from search.query import ParsedQuery


def posting_arrays(reader, field: str, term: str, stored: dict | None = None, lock=None,
                   leaves: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, weights) of `term` in `field`, deleted documents left out, as Whoosh's
    matcher gives them posting by posting — which, three Python calls per posting, was half of
    a search on 10,000 articles. A segment's long lists come from the arrays the writer stored
    (`stored`: segment id → `search.derived.SegmentPostings`), sliced; others from Whoosh 3's
    posting blocks read whole (the block's delta-coded ids summed by numpy), holding `lock` (a
    context manager: the reader's files are shared by threads) while they are read; other
    matchers are walked as before. `leaves`: the reader's `leaf_readers()`, when known."""
    ids, weights = [], []
    for segment, offset in reader.leaf_readers() if leaves is None else leaves:
        found = _stored(segment, field, term, stored)
        if found is None:
            with lock or contextlib.nullcontext():
                if (field, term) not in segment:
                    continue
                found = segment_postings(segment, field, term)
        elif not len(found[0]):
            continue
        ids.append(found[0] + offset)
        weights.append(found[1])
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def _stored(segment, field: str, term: str, stored: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The segment's list from its stored arrays, deleted documents left out; `_EMPTY` when it is
    too short to be stored and has no documents; None when it must be read from Whoosh."""
    postings = stored.get(segment.segment().segment_id()) if stored else None
    if postings is None:
        return None
    found = postings.get(field, term)
    if found is None:
        return None  # shorter than the stored ones (or absent): Whoosh's blocks are few
    docs = found[0].astype(np.int64)
    if segment.has_deletions():
        keep = ~np.isin(docs, _deleted(segment))
        return docs[keep], np.asarray(found[1])[keep]
    return docs, np.asarray(found[1])


def _deleted(segment) -> np.ndarray:
    """The segment reader's deleted documents, read once per reader (a commit's are fixed)."""
    deleted = getattr(segment, "_kb_deleted", None)
    if deleted is None:
        deleted = segment._kb_deleted = np.fromiter(segment._perdoc.deleted_docs(), dtype=np.int64)
    return deleted


def segment_postings(segment, field: str, term: str, deleted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(segment document numbers, weights) of `term` in `field` of one segment reader, decoded from
    Whoosh's blocks; the segment's deleted documents left out unless `deleted` is False."""
    from whoosh.codec.whoosh3 import W3LeafMatcher

    terms = getattr(segment, "_terms", None)
    matcher = (terms.matcher(field, segment._text_to_bytes(field, term), segment.schema[field].format)
               if terms is not None else None)
    if type(matcher) is W3LeafMatcher and not matcher._byteids:
        found, found_weights = _w3_postings(matcher)
        if deleted and segment.has_deletions():
            keep = ~np.isin(found, _deleted(segment))
            found, found_weights = found[keep], found_weights[keep]
        return found, found_weights
    if not deleted:  # the walk below leaves deleted documents out
        matcher = segment._terms.matcher(field, segment._text_to_bytes(field, term),
                                         segment.schema[field].format)
    else:
        matcher = segment.postings(field, term)  # inlined postings, another codec: one by one
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)


def _w3_postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Every block of a Whoosh 3 posting list, from the first (where a new matcher stands), decoded
    as Whoosh's matcher decodes them (`W3LeafMatcher._goto` and `_read_data`: a length, a pickled
    block header, the pickled, maybe compressed, delta-coded ids and weights) but in one loop,
    with numpy work once per list instead of once per block of 128 postings."""
    postfile = matcher._postfile
    data, end = matcher._dataoffset, matcher._nextoffset
    compressed, last, count = matcher._compression, matcher._lastblock, matcher._blocklength
    block = postfile.get(data, end - data)
    deltas, weights, counts = [], [], []
    while True:
        block_ids, block_weights = pickle.loads(zlib.decompress(block) if compressed else block)[:2]
        deltas.append(block_ids)
        counts.append(count)
        weights.append(block_weights if isinstance(block_weights, tuple | list)
                       else (1.0 if block_weights is None else block_weights,) * count)
        if last:
            break
        length = struct.unpack(">i", postfile.get(end, 4))[0]
        last = length < 0
        start, end = end + 4, end + 4 + abs(length)
        stream = io.BytesIO(postfile.get(start, end - start))
        count, _, _, compressed, _, _ = pickle.load(stream)
        block = stream.read()
    sizes = np.array(counts, dtype=np.int64)
    total = int(sizes.sum())
    # Each block's ids are deltas from 0: one running sum, less the sum before each block.
    sums = np.cumsum(np.fromiter(itertools.chain.from_iterable(deltas), dtype=np.int64, count=total))
    before = np.concatenate(([0], sums[np.cumsum(sizes)[:-1] - 1]))
    ids = sums - np.repeat(before, sizes)
    return ids, np.fromiter(itertools.chain.from_iterable(weights), dtype=np.float32, count=total)


class Extra(NamedTuple):
    """Query tokens scored in one more field: character pairs, single characters, pinyin."""

    field: str
    weight: float
    tokens: list[str]
    # A document that nothing before this extra matched counts it only if it shares at
    # least this many of the tokens, and never under quoted or excluded words (0: any token).
    min_shared: float = 0.0
    # Which documents it may score at all (a boolean array by document; None: every document).
    among: np.ndarray | None = None


K1 = 1.2
B_DEFAULT = 0.75
WORD_FIELDS = ("title", "questions", "tags", "headings", "body")  # where an article holds a word
CACHE_SIZE = 50000  # (field, term) score lists kept per index version


class Bm25Scorer:
    """Per-document BM25F scores for parsed queries over one reader's documents."""

    def __init__(self, reader, fields: list[str], b: dict[str, float] | None = None, k1: float = K1,
                 population: np.ndarray | None = None, lengths: dict[str, np.ndarray] | None = None,
                 stored: dict | None = None):
        """`population` (a boolean array by docnum) is who the statistics count: the public
        scorer counts public documents only, so internal articles change no public score.
        `lengths` (field → lengths by docnum) shares one reading of them between scorers.
        `stored`: segment id → the long posting lists the writer stored (`posting_arrays`)."""
        self.reader = reader
        self.stored = stored
        self._leaves = list(reader.leaf_readers())  # (segment reader, first docnum): fixed per reader
        self.size = reader.doc_count_all()
        self.k1 = k1
        self.population = population
        self.lengths = lengths if lengths is not None else {
            name: np.fromiter((reader.doc_field_length(d, name, 0) or 0 for d in range(self.size)),
                              dtype=np.float32, count=self.size) for name in fields}
        counted = self.size if population is None else int(population.sum())
        self._count = max(counted, 1)
        self._norms: dict[str, np.ndarray] = {}
        for name in fields:
            lengths = self.lengths[name]
            present = lengths > 0 if population is None else (lengths > 0) & population
            average = float(lengths[present].mean()) if present.any() else 1.0
            field_b = (b or {}).get(name, B_DEFAULT)
            self._norms[name] = k1 * (1 - field_b + field_b * lengths / average)
        self._cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._among: dict[int, tuple[np.ndarray, dict]] = {}  # id of an `Extra.among` → it, its postings

    def _postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        # A reader threads share (search.version) has a lock for reading its files; stored lists
        # are read without it.
        lock = self.reader.guard if hasattr(type(self.reader), "guard") else None
        return posting_arrays(self.reader, field, term, self.stored, lock, self._leaves)

    def term(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 scores) of the documents containing `term` in scored `field`."""
        key = (field, term)
        cached = self._cache.get(key)  # one lookup: another thread may clear the cache meanwhile
        if cached is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
                self._among.clear()
            docs, tf = self._postings(field, term)
            # Whoosh's idf, floored at 1: on short FAQ titles common words still count
            # (measured better than BM25's own idf on both evaluation sets).
            frequency = len(docs) if self.population is None else int(self.population[docs].sum())
            idf = math.log(self._count / (frequency + 1)) + 1
            scores = idf * tf * (self.k1 + 1) / (tf + self._norms[field][docs])
            cached = self._cache[key] = (docs, scores.astype(np.float32))
        return cached

    def mask(self, field: str, term: str) -> np.ndarray:
        """A boolean array: which documents have `term` in `field` (any field, scored or not)."""
        mask = np.zeros(self.size, dtype=bool)
        mask[self._postings(field, term)[0]] = True
        return mask

    def _alternative(self, field: str, terms: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Documents with every term of `terms` in `field`, with their summed scores."""
        docs, scores = self.term(field, terms[0])
        for term in terms[1:]:
            other_docs, other_scores = self.term(field, term)
            both, left, right = np.intersect1d(docs, other_docs, assume_unique=True, return_indices=True)
            docs, scores = both, scores[left] + other_scores[right]
        return docs, scores

    def holding(self, terms: tuple[str, ...]) -> int:
        """How many articles the searcher may see hold every term of `terms` in one field (the
        most of any one article field: a close, cheap stand-in for the articles holding them
        anywhere)."""
        seen = 0
        for name in WORD_FIELDS:
            docs = self._alternative(name, terms)[0]
            if self.population is not None and len(docs):
                docs = docs[self.population[docs]]
            seen = max(seen, len(docs))
        return seen

    def _extra_term(self, extra: Extra, token: str) -> tuple[np.ndarray, np.ndarray]:
        """`term` of an extra's token, kept to the documents the extra may score (`Extra.among`)."""
        docs, scores = self.term(extra.field, token)
        if extra.among is None:
            return docs, scores
        # The array is kept beside its postings, so its id stays its own while they are cached.
        postings = self._among.setdefault(id(extra.among), (extra.among, {}))[1]
        kept = postings.get((extra.field, token))
        if kept is None:
            inside = np.asarray(extra.among[docs])
            kept = postings[(extra.field, token)] = (docs[inside], scores[inside])
        return kept

    def candidates(self, parsed: ParsedQuery, fields, extras: list[Extra], parent: np.ndarray | None,
                   include=()) -> Candidates:
        """The documents any of `parsed`'s concepts (in `fields`) or `extras`' tokens has a posting
        in, the article documents of those that are units (`parent`: each document's article), and
        `include`: every document a search can give a score to, as one compact id space."""
        found = [self._alternative(name, terms)[0] for concept in parsed.concepts
                 for terms, _ in concept.alternatives for name in fields]
        found += [self._extra_term(extra, token)[0] for extra in extras for token in extra.tokens]
        found.append(np.asarray(include, dtype=np.int64))
        return Candidates.of(self.size, found, parent)

    def concepts(self, parsed: ParsedQuery, fields: dict[str, float], space: Candidates) -> np.ndarray:
        """Per concept of `parsed`, one BM25F score per candidate of `space` over `fields` (name →
        weight): an array of shape (concepts, candidates); 0 where the document lacks the concept."""
        rows = np.zeros((len(parsed.concepts), len(space)), dtype=np.float32)
        for row, concept in zip(rows, parsed.concepts, strict=True):
            for terms, weight in concept.alternatives:
                for name, field_weight in fields.items():
                    docs, scores = self._alternative(name, terms)
                    row[space.positions(docs)] += scores * (field_weight * weight)
        return rows

    def constraints(self, parsed: ParsedQuery, concepts: np.ndarray, fields, space: Candidates) -> np.ndarray:
        """Which candidates the query's syntax allows: every quoted concept present, no excluded term."""
        allowed = np.ones(len(space), dtype=bool)
        for row, concept in zip(concepts, parsed.concepts, strict=True):
            if concept.required:
                allowed &= row > 0
        for term in parsed.excluded:
            for name in fields:
                allowed[space.find(self.term(name, term)[0])] = False
        return allowed

    def extras(self, extras: list[Extra], matched: np.ndarray, constrained: bool, space: Candidates,
               adjust: Callable[[Extra, str, np.ndarray, np.ndarray], np.ndarray] | None = None
               ) -> np.ndarray:
        """The weighted scores of `extras`' tokens per candidate of `space` (documents that are not
        candidates are left out); a document not `matched`
        by words counts an extra only if it shares `min_shared` of its tokens, and never when the
        query is `constrained`. `adjust(extra, token, positions, scores)` may change a token's scores
        (at those candidate positions) before they count."""
        total = np.zeros(len(space), dtype=np.float32)
        for extra in extras:
            summed = np.zeros(len(space), dtype=np.float32)
            shared = np.zeros(len(space), dtype=np.int32) if extra.min_shared else None
            for token in extra.tokens:
                docs, scores = self._extra_term(extra, token)
                inside = space.members(docs)
                if not inside.all():  # documents without words, when they cannot count
                    docs, scores = docs[inside], scores[inside]
                positions = space.positions(docs)
                if adjust is not None:
                    scores = adjust(extra, token, positions, scores)
                summed[positions] += scores
                if shared is not None:
                    shared[positions] += 1
            if extra.min_shared:
                summed[~matched & ((shared < extra.min_shared) | constrained)] = 0
            total += extra.weight * summed
        return total


class Candidates:
    """A search's compact id space: the documents its evidence touches, in document order. Position
    `i` stands for document `docnums[i]`, so a search's arrays follow the postings it reads, not
    the size of the index (300,000 documents at 100,000 articles, a few thousand candidates)."""

    def __init__(self, size: int, docnums: np.ndarray, member: np.ndarray):
        self.docnums = docnums  # ascending
        self._member = member  # bool per document of the index: a candidate?
        self._position = np.empty(size, dtype=np.intp)  # per document: its position (candidates only)
        self._position[docnums] = np.arange(len(docnums), dtype=np.intp)

    @classmethod
    def of(cls, size: int, found: list[np.ndarray], parent: np.ndarray | None) -> Candidates:
        """The documents in the arrays `found` and the article document of each (`parent`, -1: none;
        None: not those)."""
        member = np.zeros(size, dtype=bool)
        for docs in found:
            member[docs] = True
        docnums = np.flatnonzero(member)
        if parent is None:
            return cls(size, docnums, member)
        parents = np.asarray(parent[docnums])
        parents = parents[(parents >= 0) & ~member[np.maximum(parents, 0)]]
        if len(parents):
            member[parents] = True
            docnums = np.flatnonzero(member)
        return cls(size, docnums, member)

    def __len__(self) -> int:
        return len(self.docnums)

    def positions(self, docs: np.ndarray) -> np.ndarray:
        """The positions of `docs`, every one of which is a candidate."""
        return self._position[docs]

    def members(self, docs: np.ndarray) -> np.ndarray:
        """Per document of `docs`: whether it is a candidate."""
        return self._member[docs]

    def find(self, docs: np.ndarray) -> np.ndarray:
        """The positions of those of `docs` that are candidates."""
        docs = np.asarray(docs, dtype=np.intp)
        return self._position[docs[self._member[docs]]]

    def at(self, values: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """`values` (one per candidate, along the last axis) of `docs`; 0 for documents that are
        not candidates, which no evidence touched."""
        docs = np.asarray(docs, dtype=np.intp)
        out = np.zeros((*values.shape[:-1], len(docs)), dtype=values.dtype)
        member = self._member[docs]
        out[..., member] = values[..., self._position[docs[member]]]
        return out


def top(scores: np.ndarray, allowed: np.ndarray | None, limit: int, tiebreak=None) -> tuple[np.ndarray, int]:
    """(best docnums, best first; number of matching allowed documents). Equal scores are ordered
    by `tiebreak(docnums)` (keys, lowest first) where given, else by docnum."""
    if allowed is not None:
        scores = np.where(allowed, scores, 0)
    matching = np.flatnonzero(scores > 0)
    if len(matching) > limit:
        best = matching[np.argpartition(-scores[matching], limit - 1)[:limit]]
        # Keep every document tied with the last one, so the cut below follows docnums too
        # (argpartition picks among ties at random, and pages would overlap).
        best = matching[scores[matching] >= scores[best].min()]
    else:
        best = matching
    # Ties are broken by docnum (or the caller's key) so results are stable.
    order = np.lexsort((best if tiebreak is None else tiebreak(best), -scores[best]))
    return best[order][:limit], len(matching)
