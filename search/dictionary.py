"""jieba's dictionary as a memory-mapped table, looked up word by word instead of loaded whole.

`jieba.Tokenizer().initialize()` unmarshals a dict of ~500,000 entries (every word of
jieba's `dict.txt` with its frequency, and every prefix of a word with frequency 0):
most of a second and ~60 MB in each process, before the first sentence is segmented,
though a query needs a few dozen of those entries. Here the same entries are written
once into a file (`Table`): an open-addressing hash table of the UTF-8 keys (CRC-32,
linear probing) over parallel arrays of key offsets and frequencies, memory-mapped by
every process that segments, so the processes of one machine share its pages and a
process reads only the pages its lookups touch.

`LazyTokenizer` is a `jieba.Tokenizer` whose `FREQ` is a `LazyFreq` over the table
(`in`, `[]`, `.get` and `[]=` — every way jieba touches `FREQ`) and whose `total` is
stored with the table; `add_word` (the domain words) writes to a small dict laid over
it. It segments exactly as `jieba.Tokenizer()` does (tests/search/test_dictionary.py
compares both over real text), because the table is written from a freshly
initialized `jieba.Tokenizer()`'s `FREQ` and `total`, entry by entry.

The file lives in a cache folder (`KB_CACHE_DIR`, else `$XDG_CACHE_HOME/kb`, else
`~/.cache/kb`), named by jieba's version and the SHA-1 of its `dict.txt`, so a new jieba
or a changed dictionary gets a new file and never a stale one. The first process that
needs it and finds none loads jieba's dictionary the usual way (it needs it anyway),
writes the table to a temporary file and renames it into place (atomic: readers see a
whole file or none). A file that is missing, of another format, truncated or not
writable is never an error: `load()` then returns a plainly loaded `jieba.Tokenizer()`.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import struct
import sys
import tempfile
import threading
from array import array
from collections.abc import Mapping
from pathlib import Path
from zlib import crc32


def _import_jieba():
    """`import jieba`, without the `pkg_resources` that jieba's `_compat` tries first (a tenth of a
    second, a third of all imports of a search process, and deprecated): without it jieba opens
    its data files by their path next to its module, the files `pkg_resources` would open."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None  # `import pkg_resources` raises ImportError
    try:
        import jieba
    finally:
        if sys.modules.get("pkg_resources", False) is None:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
log = logging.getLogger(__name__)

FORMAT = 1
MAGIC = b"KBJIEBA\x00"
# magic, format, byte order, entries, slots, total, key bytes, jieba version, dict.txt SHA-1
_HEADER = struct.Struct("<8sII IIQQ 16s 20s")
KNOWN_LIMIT = 200_000  # looked-up entries a LazyFreq remembers before it starts again
_ABSENT = object()


def cache_dir() -> Path:
    """Where tables are kept: `KB_CACHE_DIR`, else `$XDG_CACHE_HOME/kb`, else `~/.cache/kb`."""
    if os.environ.get("KB_CACHE_DIR"):
        return Path(os.environ["KB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kb"


def source_dictionary() -> Path:
    """jieba's own dictionary, the one `jieba.Tokenizer()` loads."""
    return Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)


def _source_digest() -> bytes:
    with source_dictionary().open("rb") as handle:
        return hashlib.file_digest(handle, "sha1").digest()


def table_path(folder: Path | None = None, digest: bytes | None = None) -> Path:
    """The table file for the installed jieba and its dictionary."""
    digest = _source_digest() if digest is None else digest
    return (folder or cache_dir()) / f"jieba-{jieba.__version__}-{digest.hex()[:16]}.f{FORMAT}.table"


class TableError(Exception):
    """A table file that cannot be used (another format or jieba, truncated, unreadable)."""


class Table:
    """A read-only, memory-mapped word → frequency table written by `write_table`."""

    def __init__(self, path: Path, digest: bytes):
        try:
            with open(path, "rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
            raise TableError(f"{path}: {exc}") from None
        if len(self._map) < _HEADER.size:
            raise TableError(f"{path}: truncated")
        (magic, fmt, order, entries, slots, total, key_bytes, version,
         source) = _HEADER.unpack_from(self._map, 0)
        if (magic, fmt, order) != (MAGIC, FORMAT, _byte_order()):
            raise TableError(f"{path}: not a table of this format")
        if version.rstrip(b"\0").decode("ascii", "replace") != jieba.__version__ or source != digest:
            raise TableError(f"{path}: written for another jieba or dictionary")
        start = _HEADER.size
        ends = [start + 4 * slots, start + 4 * slots + 4 * (entries + 1)]
        ends.append(ends[-1] + 4 * entries)
        ends.append(ends[-1] + key_bytes)
        if len(self._map) != ends[-1] or slots & (slots - 1) or slots < entries:
            raise TableError(f"{path}: truncated or damaged")
        view = memoryview(self._map)
        self._slots = view[start:ends[0]].cast("I")
        self._offsets = view[ends[0]:ends[1]].cast("I")
        self._freqs = view[ends[1]:ends[2]].cast("I")
        self._keys_start = ends[2]
        self._mask = slots - 1
        self.entries = entries
        self.total = total
        self.path = path

    def find(self, word: str) -> int | None:
        """The frequency of `word` (0 for a prefix of a word), None when it is not an entry."""
        data = word.encode("utf-8", "surrogatepass")
        slots, offsets, keys, base = self._slots, self._offsets, self._map, self._keys_start
        slot = crc32(data) & self._mask
        while True:
            entry = slots[slot]
            if not entry:
                return None
            entry -= 1
            if keys[base + offsets[entry]:base + offsets[entry + 1]] == data:
                return self._freqs[entry]
            slot = (slot + 1) & self._mask

    def words(self):
        """Every entry's word, in the table's order."""
        base, offsets = self._keys_start, self._offsets
        for entry in range(self.entries):
            yield self._map[base + offsets[entry]:base + offsets[entry + 1]].decode("utf-8", "surrogatepass")


def _byte_order() -> int:
    return 1 if sys.byteorder == "little" else 2


def write_table(freq: dict[str, int], total: int, path: Path, digest: bytes) -> None:
    """Write `freq` (a loaded `jieba.Tokenizer().FREQ`) and `total` as a table at `path`, atomically."""
    words = list(freq)
    keys = [w.encode("utf-8", "surrogatepass") for w in words]
    frequencies = array("I", (freq[w] for w in words))  # OverflowError for a negative or huge one
    offsets = array("I", [0])
    position = 0
    for key in keys:
        position += len(key)
        offsets.append(position)
    slots = 1 << max(4, (2 * len(keys) - 1).bit_length())  # at most half full
    table = array("I", bytes(4 * slots))
    mask = slots - 1
    for entry, key in enumerate(keys, start=1):
        slot = crc32(key) & mask
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = entry
    header = _HEADER.pack(MAGIC, FORMAT, _byte_order(), len(keys), slots, total, position,
                          jieba.__version__.encode("ascii")[:16], digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in (header, table, offsets, frequencies):
                handle.write(part)
            for key in keys:
                handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class LazyFreq(Mapping):
    """jieba's `FREQ` read from a `Table`, with the words added in this process laid over it.

    Looked-up entries (and misses) are remembered in a dict, so a word is read from the
    table once; after `KNOWN_LIMIT` of them the memory starts again."""

    def __init__(self, table: Table):
        self.table = table
        self.added: dict[str, int] = {}
        self._known: dict[str, int | None] = {}

    def _learn(self, word) -> int | None:
        if not isinstance(word, str):
            return None
        known = self._known
        if len(known) >= KNOWN_LIMIT:
            known = self._known = dict(self.added)
        value = known[word] = self.table.find(word)
        return value

    def get(self, word, default=None):
        value = self._known.get(word, _ABSENT)
        if value is _ABSENT:
            value = self._learn(word)
        return default if value is None else value

    def __getitem__(self, word) -> int:
        value = self._known.get(word, _ABSENT)
        if value is _ABSENT:
            value = self._learn(word)
        if value is None:
            raise KeyError(word)
        return value

    def __contains__(self, word) -> bool:
        value = self._known.get(word, _ABSENT)
        if value is _ABSENT:
            value = self._learn(word)
        return value is not None

    def __setitem__(self, word: str, value: int) -> None:
        self.added[word] = value
        self._known[word] = value

    def __iter__(self):
        yield from self.added
        for word in self.table.words():
            if word not in self.added:
                yield word

    def __len__(self) -> int:
        return self.table.entries + sum(1 for w in self.added if self.table.find(w) is None)


class LazyTokenizer(jieba.Tokenizer):
    """A `jieba.Tokenizer` over a `Table`: ready at once, nothing loaded (see the module doc)."""

    def __init__(self, table: Table):
        super().__init__()
        self.FREQ = LazyFreq(table)
        self.total = table.total
        self.initialized = True

    def initialize(self, dictionary=None):
        if dictionary:
            raise ValueError("a LazyTokenizer reads jieba's own dictionary only")

    def set_dictionary(self, dictionary_path):
        raise ValueError("a LazyTokenizer reads jieba's own dictionary only")


_tables: dict[Path, Table] = {}
_unwritable: set[Path] = set()  # tables this process failed to write: not tried again
_tables_lock = threading.Lock()


def table(folder: Path | None = None) -> Table | None:
    """The table for the installed jieba and its dictionary, None when there is none yet or it
    cannot be used (never raises: the caller then loads the dictionary whole)."""
    with _tables_lock:
        try:
            digest = _source_digest()
        except OSError as exc:  # jieba's own file unreadable: jieba will say so itself
            log.debug("cannot read jieba's dictionary: %s", exc)
            return None
        path = table_path(folder, digest)
        if path not in _tables:
            try:
                _tables[path] = Table(path, digest)
            except TableError as exc:
                if path.exists():
                    log.warning("not using jieba's dictionary table %s", exc)
                return None
        return _tables[path]


def save(loaded: jieba.Tokenizer, folder: Path | None = None) -> None:
    """Write the table from `loaded`, a `jieba.Tokenizer()` just initialized (no word added),
    for the processes that come next. A failure is logged, never raised."""
    if loaded.dictionary is not None:
        return  # another dictionary than jieba's own
    try:
        digest = _source_digest()
    except OSError:
        return
    path = table_path(folder, digest)
    if path in _unwritable:
        return
    try:
        write_table(loaded.FREQ, loaded.total, path, digest)
        log.info("wrote jieba's dictionary table %s (%d entries)", path, len(loaded.FREQ))
    except (OSError, OverflowError, ValueError) as exc:
        _unwritable.add(path)
        log.warning("could not write jieba's dictionary table (%s): each process loads the whole "
                    "dictionary instead", exc)


def load(folder: Path | None = None) -> jieba.Tokenizer:
    """A tokenizer with jieba's dictionary: a `LazyTokenizer` over the table when there is one,
    else a plainly loaded `jieba.Tokenizer()` (and the table written for next time)."""
    found = table(folder)
    if found is not None:
        return LazyTokenizer(found)
    loaded = jieba.Tokenizer()
    loaded.initialize()
    save(loaded, folder)
    return loaded
