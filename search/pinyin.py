"""Pinyin of Chinese terms (pypinyin), remembered between processes for `kb index` after an edit.

Importing pypinyin costs a third of a second (its phrase dictionary, and a prefix set
trained from it at import), more than segmenting and indexing one edited article. A
`kb index` after an edit needs the pinyin of a few terms (the edited article's title and
tag words), mostly the same terms as the run before. So the terms a process converted
are kept in a small JSON file in the cache folder (`search.dictionary.cache_dir()`),
named by pypinyin's version: a process whose terms are all in it never imports pypinyin.
The file only ever holds pypinyin's own answers for that version; a missing, damaged or
unwritable file just means pypinyin is asked.

A process writes the file at most once (the first time it had to import pypinyin). A full
build's worker processes write nothing: they hand the terms they converted to the parent,
which adds them all at once (`remember`), so the next full build of the same articles
imports pypinyin in no process.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from search.dictionary import cache_dir

MAX_TERMS = 50_000  # terms kept in the file; beyond that it starts again

_known: dict[str, list[str]] | None = None  # term → [full pinyin, initials], read once per process
_written = False
_converted: dict[str, list[str]] = {}  # term → keys, converted by this process


def _version() -> str | None:
    """pypinyin's version, read from its source without importing it."""
    spec = find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return None
    found = re.search(r"""^__version__ = ['"]([^'"]+)['"]""", Path(spec.origin).read_text("utf-8"), re.M)
    return found.group(1) if found else None


def _path() -> Path | None:
    try:
        version = _version()
    except (OSError, ValueError, ImportError):
        return None
    return cache_dir() / f"pinyin-{version}.json" if version else None


def _load() -> dict[str, list[str]]:
    global _known
    if _known is None:
        _known = {}
        path = _path()
        try:
            data = json.loads(path.read_text("utf-8")) if path is not None else {}
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            _known = {t: v for t, v in data.items()
                      if isinstance(v, list) and len(v) == 2 and all(isinstance(p, str) for p in v)}
    return _known


def _convert(terms: list[str]) -> dict[str, list[str]]:
    from pypinyin import Style, lazy_pinyin  # index time only

    return {term: ["".join(lazy_pinyin(term)), "".join(lazy_pinyin(term, style=Style.FIRST_LETTER))]
            for term in terms}


def _save(known: dict[str, list[str]]) -> None:
    path = _path()
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(known, handle, ensure_ascii=False)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # the cache is only a shortcut


def keys(terms: list[str]) -> list[list[str]]:
    """[full pinyin, initials] of each term (Chinese characters only), as pypinyin converts it."""
    global _written
    if not terms:
        return []
    if "pypinyin" in sys.modules and _known is None:
        # A process that converts anyway (`kb new`): each term once.
        missing = [t for t in dict.fromkeys(terms) if t not in _converted]
        if missing:
            if len(_converted) > MAX_TERMS:
                _converted.clear()
            _converted.update(_convert(missing))
        return [_converted[t] for t in terms]
    known = _load()
    missing = [t for t in dict.fromkeys(terms) if t not in known]
    if missing:
        converted = _convert(missing)
        known.update(converted)
        _converted.update(converted)
        if not _written:  # once per process
            _written = True
            _save(dict(list(known.items())[-MAX_TERMS:]))
    return [known[t] for t in terms]


def read_file() -> None:
    """Read the file now (before a full build forks its workers, which then share what it holds)."""
    _load()


def defer_writing() -> None:
    """This process's conversions are written by another (a full build's worker: `converted`
    goes to the parent, which adds them with `remember`) instead of once by this one."""
    global _written
    _written = True


def converted() -> dict[str, list[str]]:
    """The terms this process converted with pypinyin, and their keys."""
    return dict(_converted)


def remember(terms: dict[str, list[str]]) -> None:
    """Add `terms` (converted by other processes, `converted`) to the file, if any are new."""
    known = _load()
    new = {t: v for t, v in terms.items() if t not in known}
    if new:
        known.update(new)
        _save(dict(list(known.items())[-MAX_TERMS:]))
