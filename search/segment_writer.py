"""A faster Whoosh segment writer: the same segment files as Whoosh 2.7.4's `SegmentWriter` writes,
in a fraction of the time.

`segment_writer(ix)` is what `ix.writer()` gives, with three changes where a build spends its time
(`search.indexer` uses it for every commit): the schema's text fields, whose terms are separated by
spaces (`search.schema`), are counted directly instead of through Whoosh's analyzer chain
(`_field_indexer`); a field's postings go to the posting pool at once and are sorted by term alone
(`_add_posts`, `_postings`); and the flush reads each field's length column once (`_SegmentLengths`)
and writes postings blocks with a codec that skips Whoosh's per-posting look-ups
(`_PostingsCodec`, `_TermWriter`). Each piece names the Whoosh method it replaces; every other
method is Whoosh's own, and a test compares the segments with Whoosh's writer's.

This module is tied to Whoosh 2.7.4's internals (pyproject.toml pins `whoosh>=2.7.4,<2.8`).
"""

from __future__ import annotations

import pickle
import re
import zlib
from array import array
from collections import Counter

from search.derived import length_bytes


class _SegmentLengths:
    """`doc_field_length` for a segment being flushed, each field's length column read at once.

    Whoosh's own per-document reader looks every posting's length up through the column
    reader, and for a field without lengths (`spell`) checks the disk for the column file
    again at every posting: a third of the CPU of writing a segment. The values are the same."""

    def __init__(self, reader):
        self._reader = reader
        self._columns: dict[str, list | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default=0):
        column = self.column(fieldname)
        if column is None:
            return default
        return column[docnum] if docnum < len(column) else None

    def column(self, fieldname: str) -> list | None:
        """The field's lengths by docnum (None: the field stores none)."""
        try:
            return self._columns[fieldname]
        except KeyError:
            column = self._columns[fieldname] = _length_column(self._reader, fieldname)
            return column


def _length_column(reader, fieldname: str) -> list | None:
    """The field's lengths by docnum as `doc_field_length` gives them (None for a zero byte)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    column = reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    table = [None, *(byte_to_length(b) for b in range(1, 256))]
    return [table[b] for b in length_bytes(column, reader.doc_count_all())]


_SPACED_TERMS = r"[^ \t\r\n]+"  # Whoosh's SpaceSeparatedTokenizer: the schema's text fields (`search.schema`)
_spaced_terms = re.compile(_SPACED_TERMS)


def _described(name: str, field) -> tuple:
    """What `add_document` asks of a field: (the field, its `_field_indexer` — False for Whoosh's
    own, None when not indexed —, scorable, stored, column type)."""
    if field.separate_spelling() or field.vector:
        raise ValueError(f"field {name!r}: spelling and vectors are not written here")
    indexer = (_field_indexer(field) or False) if field.indexed else None
    return field, indexer, field.scorable, field.stored, field.column_type


def _field_indexer(field):
    """A function giving what `field.index(value)` gives for a string — (term bytes, frequency, weight,
    encoded value) of each term — without Whoosh's token objects, with the number of terms (the sum
    of their frequencies: the field's length), for the schema's ID fields, its text fields of terms
    separated by spaces (the analyzer's output, `search.documents`) and its keyword fields
    (lower-cased or not); else None."""
    from whoosh.analysis.analyzers import CompositeAnalyzer
    from whoosh.analysis.filters import LowercaseFilter
    from whoosh.analysis.tokenizers import IDTokenizer, RegexTokenizer
    from whoosh.formats import Existence, Frequency, Positions
    from whoosh.system import pack_uint

    analyzer, kind = getattr(field, "analyzer", None), type(field.format)
    boost = getattr(field.format, "field_boost", 1.0)
    if type(analyzer) is IDTokenizer and kind is Existence:
        return lambda value: ([(value.encode("utf-8"), 1, boost, b"")], 1)
    lowercase = False
    if (type(analyzer) is CompositeAnalyzer and len(analyzer.items) == 2
            and type(analyzer.items[1]) is LowercaseFilter):  # KEYWORD(lowercase=True)
        analyzer, lowercase = analyzer.items[0], True
    if type(analyzer) is not RegexTokenizer or analyzer.expression.pattern != _SPACED_TERMS or analyzer.gaps:
        return None
    if kind is Frequency:
        def frequencies(value):
            terms = _spaced_terms.findall(value)
            counts = Counter([term.lower() for term in terms] if lowercase else terms)
            return [(term.encode("utf-8"), n, float(n) * boost, pack_uint(n)) for term, n in counts.items()
                    ], len(terms)
        return frequencies
    if lowercase:
        return None
    if kind is Positions:
        encode = field.format.encode

        def positions(value):
            found: dict[str, list[int]] = {}
            terms = _spaced_terms.findall(value)
            for n, term in enumerate(terms):
                found.setdefault(term, []).append(n)
            return [(term.encode("utf-8"), len(at), float(len(at)) * boost, encode(at))
                    for term, at in found.items()], len(terms)
        return positions
    return None


STORED_BLOCK = 100  # a block of postings pickled shorter than this is written as it is, not deflated


def _encoded_block(data: tuple, count: int, last_id: int, max_weight: float, compression: int,
                   min_length, max_length, length_to_byte) -> tuple[bytes, bytes]:
    """(header, data) of one Whoosh 3 postings block as `W3PostingsWriter._write_block` (Whoosh
    2.7.4) encodes them — the pickled mini ids, weights and values, and the pickled statistics —
    except that a block pickled shorter than `STORED_BLOCK` is not deflated (as Whoosh means to,
    for under 20 bytes; its code compresses every block): nine blocks in ten are that short,
    deflating makes them no shorter, at the cost of a zlib set-up each. Readers inflate only the
    blocks marked compressed."""
    databytes = pickle.dumps(data, 2)
    comp = compression if len(databytes) >= STORED_BLOCK else 0
    if comp:
        databytes = zlib.compress(databytes, comp)
    info = pickle.dumps((count, last_id, max_weight, comp, length_to_byte(min_length),
                         length_to_byte(max_length)), 2)
    return info, databytes


def _postings_writer_class():
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter
    from whoosh.util.numeric import length_to_byte

    class FastPostingsWriter(W3PostingsWriter):
        def _write_block(self, last=False):
            # W3PostingsWriter._write_block, with the block encoded by `_encoded_block`.
            if not self._blockcount:
                self._postfile.write(WHOOSH3_HEADER_MAGIC)
            self._terminfo.add_block(self)
            ids = self._ids
            infobytes, databytes = _encoded_block(
                (self._mini_ids(), self._mini_weights(), self._mini_values()), len(ids), ids[-1],
                self._maxweight, self._compression, self._minlength, self._maxlength, length_to_byte)
            postfile = self._postfile
            blocklength = len(infobytes) + len(databytes)
            postfile.write_int(-blocklength if last else blocklength)
            postfile.write(infobytes)
            postfile.write(databytes)
            self._blockcount += 1
            self._new_block()

    return FastPostingsWriter


def _add_postings(fieldwriter, schema, lengths, items) -> None:
    """`FieldWriter.add_postings` (Whoosh 2.7.4) for a W3FieldWriter: the same postings, term
    information and files, with the postings of each term gathered in lists and written at once
    (`_TermWriter`), instead of five method calls for each posting and four for each term."""
    from whoosh.codec.base import OutOfOrderError

    last_field = last_text = None
    column: list | None = None
    size = 0
    docs: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    sizes: list = []
    terms = _TermWriter(fieldwriter)
    for fieldname, btext, docnum, weight, value in items:
        if fieldname != last_field:
            if last_field is not None and fieldname < last_field:
                raise OutOfOrderError(f"Field {last_field!r} .. {fieldname!r}")
            if last_text is not None:
                terms.write(last_text, docs, weights, values, sizes)
                docs, weights, values, sizes = [], [], [], []
            if last_field is not None:
                terms.finish_field()
            terms.start_field(fieldname, schema[fieldname])
            column = lengths.column(fieldname) if lengths is not None else None
            size = len(column) if column is not None else 0
            last_field, last_text = fieldname, None
        if docnum == -1:  # Whoosh's marker of a spelling word: not a posting
            continue
        if btext != last_text:
            if last_text is not None:
                if btext < last_text:
                    raise OutOfOrderError(f"Term {fieldname}:{last_text!r} .. {fieldname}:{btext!r}")
                terms.write(last_text, docs, weights, values, sizes)
                docs, weights, values, sizes = [], [], [], []
            last_text = btext
        docs.append(docnum)
        weights.append(weight)
        values.append(b"" if value is None else value)
        # lengths.doc_field_length(docnum, fieldname), as Whoosh asks it (0 without lengths)
        sizes.append((column[docnum] if docnum < size else None) if column is not None else 0)
    if last_text is not None:
        terms.write(last_text, docs, weights, values, sizes)
    if last_field is not None:
        terms.finish_field()


class _TermWriter:
    """For one field at a time of a W3FieldWriter: W3FieldWriter.start_term, add for each posting
    and finish_term (Whoosh 2.7.4, with `FastPostingsWriter._write_block`) in one call per term —
    blocks of up to `blocklimit` postings in the postings file, then the term's W3TermInfo added
    to the term table (OrderedHashWriter.add), each written with one `write`."""

    def __init__(self, fieldwriter):
        from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
        from whoosh.filedb.filetables import _lengths
        from whoosh.system import pack_int, pack_long, pack_ushort
        from whoosh.util.numeric import length_to_byte

        self.fieldwriter = fieldwriter
        self.magic, self.term_info = WHOOSH3_HEADER_MAGIC, W3TermInfo._struct.pack
        self.key_value_lengths = _lengths.pack
        self.pack_int, self.pack_long, self.pack_ushort = pack_int, pack_long, pack_ushort
        self.length_to_byte = length_to_byte

    def start_field(self, fieldname: str, field) -> None:
        writer = self.fieldwriter
        writer.start_field(fieldname, field)
        postings = writer._postwriter
        self.whooshs = postings._inlinelimit > 1  # postings inlined in the term table: Whoosh's own way
        self.fixed = writer._format.fixed_value_size()
        self.limit, self.compression = postings._blocklimit, postings._compression
        self.key = self.pack_ushort(writer._fieldid)

    def finish_field(self) -> None:
        self.fieldwriter.finish_field()

    def write(self, btext: bytes, docs: list, weights: list, values: list, sizes: list) -> None:
        writer = self.fieldwriter
        if self.whooshs:
            writer.start_term(btext)
            for posting in zip(docs, weights, values, sizes, strict=True):
                writer.add(*posting)
            writer.finish_term()
            return
        pack_int, length_to_byte = self.pack_int, self.length_to_byte
        fixed, limit, compression = self.fixed, self.limit, self.compression
        postfile = writer._postfile.file
        start = postfile.tell()
        total, df, min_length, max_length, max_weight, min_id = 0, 0, None, 0, 0, None
        count = len(docs)
        out = [self.magic]
        for first in range(0, count, limit):
            if count > limit:
                end = first + limit
                block, given = docs[first:end], weights[first:end]
                block_values, lengths = values[first:end], sizes[first:end]
            else:
                block, given, block_values, lengths = docs, weights, values, sizes
            block_weights = array("f", given)
            block_values = [v for v in block_values if v]
            lengths = [n for n in lengths if n]
            top = max(given)
            # The block's statistics, as add_posting gathers them and W3TermInfo.add_block sums them.
            block_max_weight = top if top > 0 else 0
            block_min = min(lengths) if lengths else None
            block_max = max(lengths) if lengths else 0
            total += sum(block_weights)
            df += len(block)
            min_length = block_min if min_length is None else min(min_length, block_min)
            max_length = max(max_length, block_max)
            max_weight = max(max_weight, block_max_weight)
            if min_id is None:
                min_id = block[0]
            # W3PostingsWriter._write_block, with its _mini_ids, _mini_weights and _mini_values.
            previous, deltas = 0, []
            for doc in block:
                deltas.append(doc - previous)
                previous = doc
            if all(w == 1.0 for w in block_weights):
                mini_weights = None
            elif all(w == block_weights[0] for w in block_weights):
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            if fixed is None or fixed < 0:
                mini_values = tuple(block_values)
            elif fixed == 0:
                mini_values = None
            else:
                mini_values = b"".join(block_values)
            info, data = _encoded_block((tuple(deltas), mini_weights, mini_values), len(block), block[-1],
                                        block_max_weight, compression, block_min, block_max, length_to_byte)
            length = len(info) + len(data)
            out += (pack_int(-length if first + limit >= count else length), info, data)
        postfile.write(b"".join(out))
        # W3TermInfo.to_bytes of the term's statistics (never inlined here), added to the term table
        # as OrderedHashWriter.add adds it.
        value = self.term_info(False, total, df, 0 if min_length is None else length_to_byte(min_length),
                               length_to_byte(max_length), max_weight, min_id, block[-1]
                               ) + self.pack_long(start) + pack_int(postfile.tell() - start)
        key = self.key + btext
        table = writer._tindex
        if key <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
        tablefile = table.dbfile.file
        position = tablefile.tell()
        table.index.append(position)
        tablefile.write(self.key_value_lengths(len(key), len(value)) + key + value)
        hashed = table.hashfn(key)
        table.buckets[hashed & 255].append((hashed, position))
        table.lastkey = key


class _PostingsCodec:
    """What a W3FieldWriter asks of its codec (`postings_writer`), answered with `FastPostingsWriter`:
    set on a segment writer's field writer, so the codec recorded in the segment stays Whoosh's."""

    def __init__(self, codec):
        self._codec = codec
        self._writer = _postings_writer_class()

    def postings_writer(self, dbfile, byteids=False):
        codec = self._codec
        return self._writer(dbfile, blocklimit=codec._blocklimit, byteids=byteids,
                            compression=codec._compression, inlinelimit=codec._inlinelimit)


def _term_of(posting: tuple) -> bytes:
    return posting[1]


def _segment_writer_class():
    from whoosh.writing import PostingPool, SegmentWriter

    class FastSegmentWriter(SegmentWriter):
        """Whoosh's segment writer, counting the terms of fields directly (`_field_indexer`),
        flushing with `_SegmentLengths` and writing postings with `FastPostingsWriter`: the same
        segment, written faster."""

        def __init__(self, ix, **kwargs):
            super().__init__(ix, **kwargs)
            from whoosh.codec.whoosh3 import W3Codec

            if type(self.codec) is W3Codec:
                self.fieldwriter._codec = _PostingsCodec(self.codec)

        def add_document(self, **fields):
            # SegmentWriter.add_document (Whoosh 2.7.4) with `_field_indexer` for the schema's fields,
            # what it asks of each field looked up once per writer (`_described`), and without the
            # look-ups of boosts and `_stored_` values when no key asks for one.
            self._check_state()
            perdocwriter = self.perdocwriter
            schema = self.schema
            docnum = self.docnum
            add_posts = self._add_posts
            # Keys `_boost`, `_<field>_boost`, `_stored_<field>`: none in kb's documents.
            special = any(name.startswith("_") for name in fields)
            docboost = self._doc_boost(fields) if special else 1.0
            fieldnames = sorted([name for name in fields if not name.startswith("_")] if special else fields)
            try:
                described = self._described
            except AttributeError:
                described = self._described = {}
            unknown = [name for name in fieldnames if name not in described]
            if unknown:
                self._check_fields(schema, unknown)
                for name in unknown:
                    described[name] = _described(name, schema[name])
            perdocwriter.start_doc(docnum)
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field, indexer, scorable, stored, column = described[fieldname]
                length = 0
                if indexer is not None:  # an indexed field
                    fieldboost = self._field_boost(fields, fieldname, docboost) if special else docboost
                    if indexer and isinstance(value, str):
                        items, terms = indexer(value)
                    else:
                        items = list(field.index(value))
                        terms = sum(freq for _, freq, _, _ in items) if scorable else 0
                    if scorable:
                        length = terms
                    add_posts(fieldname, [(fieldname, tbytes, docnum, weight * fieldboost, vbytes)
                                          for tbytes, _, weight, vbytes in items])
                customval = fields.get(f"_stored_{fieldname}", value) if special else value
                perdocwriter.add_field(fieldname, field, customval if stored else None, length)
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
            perdocwriter.finish_doc()
            self._added = True
            self.docnum += 1

        def _add_posts(self, fieldname: str, posts: list[tuple]) -> None:
            """`self.pool.add` of each of one field's postings: Whoosh's PostingPool adds them one by
            one, estimating the memory of each and starting a new sorted run on disk when its
            `limitmb` is reached; here the field's postings go to one run, all at once."""
            pool = self.pool
            if type(pool) is not PostingPool:
                for post in posts:
                    pool.add(post)
                return
            pool.fieldnames.add(fieldname)
            # PostingPool.add's estimate of a posting's memory, summed
            pool.currentsize += sum(len(term) * 2 + len(value or b"") for _, term, _, _, value in posts) + (
                150 + len(fieldname)) * len(posts)
            if pool.currentsize > pool.limit:
                self._to_pool()
                pool.save()
            # Kept by field, in the order of documents, until the pool needs them (`_postings`).
            try:
                self._by_field[fieldname] += posts
            except AttributeError:
                self._by_field = {fieldname: posts}
            except KeyError:
                self._by_field[fieldname] = posts

        def _to_pool(self) -> None:
            """The postings kept by field, handed to the pool (Whoosh sorts them out)."""
            for posts in getattr(self, "_by_field", {}).values():
                self.pool.current += posts
            self._by_field = {}

        def _postings(self):
            """What `self.pool.iter_postings()` gives — every posting, sorted — from the postings kept
            by field, each field's sorted by term alone: a stable sort keeps the postings of a term in
            the order of their documents, as a sort of the whole tuples would (it is 2–3 times
            faster). Whoosh's own when the pool holds others' (merged segments) or ran to disk."""
            pool = self.pool
            if pool.runs or pool.current or type(pool) is not PostingPool:
                self._to_pool()
                return pool.iter_postings()
            by_field, self._by_field = getattr(self, "_by_field", {}), {}
            return (post for name in sorted(by_field) for post in sorted(by_field[name], key=_term_of))

        def _flush_segment(self):
            self.perdocwriter.close()
            reader = self.per_document_reader() if self.codec.length_stats else None
            lengths = _SegmentLengths(reader) if reader is not None else None
            if isinstance(getattr(self.fieldwriter, "_codec", None), _PostingsCodec):
                _add_postings(self.fieldwriter, self.schema, lengths, self._postings())
            else:
                self.fieldwriter.add_postings(self.schema, lengths, self._postings())
            self.fieldwriter.close()
            if reader is not None:
                reader.close()

    return FastSegmentWriter


def segment_writer(ix, **kwargs):
    """A writer for `ix` (as `ix.writer(**kwargs)`) that flushes segments faster."""
    return _segment_writer_class()(ix, **kwargs)
