"""Word tables read from an installed package's data file once per machine, looked up word by word.

Some rules of the search path need a dictionary kept by another project: the vocabulary bridge
needs CC-CEDICT (`search.bridge`), the spelling corrector a list of English words
(`search.spelling`). Reading such a file costs seconds and tens of megabytes, which no search
should pay; a search needs a few words of it. So `WordTable` reads the file once per machine
(`kb index` calls `ensure`, or the first search that needs it) into a small SQLite file in
the cache folder (`search.dictionary.cache_dir()`), named by the table's name, a digest of the
data file and the reader's `format`; searches open it read-only and look words up one by one
(remembered per process). A missing package only leaves the table empty; an unwritable cache
folder keeps the tables in the memory of the process that read them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

from search.dictionary import cache_dir

log = logging.getLogger(__name__)

Tables = dict[str, dict[str, str]]  # table name → word → its entry


def package_file(package: str, relative: str) -> Path | None:
    """The file at `relative` inside the installed `package` (not imported), or None."""
    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None


class WordTable:
    """Tables of word → text entry, read by `read` from the data file `source()` finds."""

    def __init__(self, name: str, source: Callable[[], Path | None], read: Callable[[Path], Tables],
                 format: int):
        self.name, self.source, self.read, self.format = name, source, read, format
        self._lock = threading.RLock()
        self._memory: Tables | None = None  # the tables, when the cache folder is unwritable
        self._connection: tuple[int, sqlite3.Connection] | None = None  # (pid, read-only)
        self.lookup = functools.lru_cache(maxsize=4096)(self._lookup)

    def path(self, source: Path) -> Path:
        """The table file for the data file `source`."""
        with source.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha1").hexdigest()[:16]
        return cache_dir() / f"{self.name}-{digest}.f{self.format}.sqlite3"

    def ensure(self) -> Path | None:
        """The table file, built from the data file when there is none. None without the data
        file or when the cache folder is not writable."""
        if self._memory is not None:  # kept in memory (the cache folder was not writable): read once
            return None
        source = self.source()
        if source is None:
            return None
        target = self.path(source)
        if target.is_file():
            return target
        with self._lock:
            if self._memory is not None:
                return None
            if target.is_file():
                return target
            tables = self.read(source)
            try:
                self._write(target, tables)
            except (OSError, sqlite3.Error) as exc:
                log.warning("cannot write the table %s (%s): kept in memory", target, exc)
                self._memory = tables
                return None
        return target

    @staticmethod
    def _write(target: Path, tables: Tables) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
        os.close(fd)
        try:
            with sqlite3.connect(temporary) as db:
                for name, table in tables.items():
                    db.execute(f"CREATE TABLE {name} (word TEXT PRIMARY KEY, entry TEXT NOT NULL) "
                               "WITHOUT ROWID")
                    db.executemany(f"INSERT INTO {name} VALUES (?, ?)", sorted(table.items()))
            db.close()
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise

    def _open(self) -> sqlite3.Connection | None:
        if self._connection is not None and self._connection[0] == os.getpid():
            return self._connection[1]
        path = self.ensure()
        if path is None:
            return None
        try:
            db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error:
            return None
        self._connection = (os.getpid(), db)
        return db

    def _lookup(self, table: str, word: str) -> str:
        """The entry of `word` in `table`, "" when it has none."""
        with self._lock:
            db = self._open()
            if db is None:
                return (self._memory or {}).get(table, {}).get(word, "")
            try:
                row = db.execute(f"SELECT entry FROM {table} WHERE word = ?", (word,)).fetchone()
            except sqlite3.Error:
                row = None
            return row[0] if row else ""
