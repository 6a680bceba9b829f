"""search.zerocopy: Whoosh's segments read in place from their memory map, the same bytes as
through Whoosh's own copy."""

from __future__ import annotations

import io
import mmap
import random

from whoosh import index as whoosh_index
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

from search import zerocopy


def test_a_view_reads_as_a_bytes_file_does():
    rng = random.Random(7)
    data = bytes(rng.choice(b"ab\n\x00\xff") for _ in range(5000)) + b"tail without newline"
    ours, theirs = zerocopy._View(memoryview(data)), io.BytesIO(data)
    for _ in range(3000):
        operation = rng.choice(["read", "readline", "seek", "seek_end", "seek_cur"])
        if operation == "read":
            size = rng.choice([-1, 0, 1, 7, 300, 10_000])
            assert ours.read(size) == theirs.read(size)
        elif operation == "readline":
            size = rng.choice([-1, 1, 5, 1000])
            assert ours.readline(size) == theirs.readline(size)
        elif operation == "seek":
            position = rng.randrange(0, len(data) + 10)
            assert ours.seek(position) == theirs.seek(position)
        elif operation == "seek_end":
            offset = -rng.randrange(0, 50)
            assert ours.seek(offset, io.SEEK_END) == theirs.seek(offset, io.SEEK_END)
        else:
            offset = rng.randrange(0, 20)
            assert ours.seek(offset, io.SEEK_CUR) == theirs.seek(offset, io.SEEK_CUR)
        assert ours.tell() == theirs.tell()


def _everything(generation) -> tuple[list, dict]:
    """Every stored document and every posting (field, term → ids and weights) of an index."""
    with whoosh_index.open_dir(str(generation)).searcher() as searcher:
        reader = searcher.reader()
        stored = [dict(fields) for _, fields in reader.iter_docs()]
        postings = {}
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight()))
                matcher.next()
            postings[fieldname, term] = items
        return stored, postings


def test_an_index_reads_the_same_in_place_as_through_whooshs_copy(built_index):
    generation = (built_index / "current").resolve()
    zerocopy.install()
    in_place = _everything(generation)
    try:
        compound.BufferFile = BufferFile  # Whoosh's own: each file copied into io.BytesIO
        copied = _everything(generation)
    finally:
        zerocopy.install()
    assert in_place == copied
    assert len(in_place[0]) > 10 and len(in_place[1]) > 100


def test_segment_files_are_views_of_the_map_not_copies(built_index):
    zerocopy.install()
    generation = (built_index / "current").resolve()
    ix = whoosh_index.open_dir(str(generation))
    segment = ix._segments()[0]
    storage = segment.open_compound_file(ix.storage)
    name = next(n for n in storage.list() if n.endswith(".pst") or n.endswith(".trm"))
    opened = storage.open_file(name)
    assert isinstance(opened, zerocopy.MappedFile)
    assert isinstance(opened.file, zerocopy._View)
    assert isinstance(opened._buf.obj, mmap.mmap)  # the file's own pages, shared between processes
    opened.close()
