"""Whoosh's segment files read in place from their memory map, without a private copy per process.

Whoosh opens each file inside a compound segment file as a `BufferFile` over a memoryview of the
segment's memory map — and `BufferFile` wraps that view in `io.BytesIO`, which copies it: every
process that opens an index holds the whole index in private memory (123 MB at 30,000
articles), and again for each new version. `MappedFile` reads the view in place, so the pages
stay the file's, shared by every process that maps it; only what a read asks for is copied.
"""

from __future__ import annotations

import os

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _View:
    """A read-only file object over a memoryview: `read` copies only the bytes it returns."""

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = bytes(self._buf[self._pos:end])
        self._pos = max(self._pos, end)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        start, chunk = self._pos, 256
        while start < end:
            found = bytes(self._buf[start:min(end, start + chunk)]).find(b"\n")
            if found >= 0:
                return self.read(start + found + 1 - self._pos)
            start, chunk = start + chunk, chunk * 2
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = memoryview(b"")

    def flush(self) -> None:
        pass


class MappedFile(BufferFile):
    """`BufferFile` reading its buffer in place instead of through a copy in `io.BytesIO`."""

    def __init__(self, buf, name=None, onclose=None):
        super().__init__(b"", name=name, onclose=onclose)  # an empty io.BytesIO, replaced:
        self._buf, self.file = buf, _View(buf)


def install() -> None:
    """Make Whoosh's compound segments (what `CompoundStorage.open_file` builds for a mapped
    segment) read in place; once per process, before an index is opened."""
    compound.BufferFile = MappedFile
