"""What an English question means beyond its words: static embeddings of word pieces.

`search/models/minilm-static` holds one vector per word piece, distilled with
model2vec from the sentence-transformers model all-MiniLM-L6-v2 (its README says
how), read here with `tokenizers` and `safetensors` (model2vec itself is needed only
to distil a model). A text's vector is the mean of its pieces' vectors, so "leadtime for a new
card to show up in the mail" lands near "How long does card delivery take?"
although they share one word. No neural network runs at search time: encoding a
query takes a fraction of a millisecond.

Each English article is represented by its phrasings (title and questions); its
score for a query is the best cosine similarity among them. The model knows
English only, so other articles are not embedded. The writer embeds the phrasings
at index time (`search.derived`, re-using the vectors of unchanged phrasings) and
saves them as .npy; search processes memory-map them and encode only queries.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.phrasings import phrasings

MODEL_DIR = Path(__file__).parent / "models" / "minilm-static"
LANGUAGES = frozenset({"en"})


BATCH = 1024  # texts per tokenizer call, as model2vec encodes them


@functools.cache
def _model() -> tuple:
    """(tokenizer, embedding matrix, id of the unknown piece), loaded once per process when a text
    is first encoded: the model's own files read with `tokenizers`, and its matrix memory-mapped
    from the safetensors file (so worker processes share its pages, and only the rows of pieces
    in use are read), which is what model2vec's `StaticModel` loads, at a fraction of the cost."""
    from tokenizers import Tokenizer

    config = json.loads((MODEL_DIR / "config.json").read_text("utf-8"))
    tokenizer = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    if config.get("max_length"):
        tokenizer.enable_truncation(config["max_length"])
    unk_token = getattr(tokenizer.model, "unk_token", None)  # pieces of nothing known are left out
    return tokenizer, _mapped_tensor(MODEL_DIR / "model.safetensors", "embeddings"), (
        tokenizer.token_to_id(unk_token) if unk_token else None)


SAFETENSORS_DTYPES = {"F16": np.float16, "F32": np.float32, "BF16": None, "F64": np.float64}


def _mapped_tensor(path: Path, name: str) -> np.ndarray:
    """One tensor of a safetensors file, memory-mapped read-only.

    The format: an 8-byte little-endian header size, a JSON header giving each tensor's
    dtype, shape and byte offsets after the header, then the raw little-endian data."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    entry = header[name]
    dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
    if dtype is None:
        raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, which kb does not read")
    start, end = entry["data_offsets"]
    array = np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r", offset=8 + size + start,
                      shape=tuple(entry["shape"]))
    assert array.nbytes == end - start
    return array


def encode(texts: list[str]) -> np.ndarray:
    """One unit-length float32 vector per text (zero for a text with no known piece): the mean
    of its pieces' vectors, as `model2vec.StaticModel.encode` computes it."""
    tokenizer, embedding, unk = _model()
    vectors = np.zeros((len(texts), embedding.shape[1]), dtype=np.float32)
    for start in range(0, len(texts), BATCH):
        encodings = tokenizer.encode_batch_fast(texts[start:start + BATCH], add_special_tokens=False)
        for n, encoding in enumerate(encodings, start=start):
            ids = [i for i in encoding.ids if i != unk]
            if ids:
                vectors[n] = embedding[ids].mean(axis=0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


@dataclass
class PhrasingVectors:
    """The embedded phrasings of `article_ids`, grouped by article."""

    article_ids: list[str]
    vectors: np.ndarray  # (phrasings, dimensions), unit length
    starts: np.ndarray  # index of each article's first phrasing

    def query_vector(self, text: str) -> np.ndarray:
        """`text` in the phrasings' space (unit length)."""
        return encode([text])[0]

    def ends(self) -> np.ndarray:
        """Per article, where its rows end (the next article's first row, or the number of rows)."""
        return np.append(self.starts[1:], len(self.vectors))

    def scores(self, text: str) -> np.ndarray:
        """Per article, the best cosine similarity of `text` with one of its phrasings (at least 0)."""
        similarities = self.vectors @ self.query_vector(text)
        return np.maximum(np.maximum.reduceat(similarities, self.starts), 0.0)

    def scores_of(self, text: str, articles: np.ndarray) -> np.ndarray:
        """`scores(text)` of the articles at `articles` (indices into `article_ids`) alone: only their
        phrasings are read, not every vector (the search scores the few articles it ranks)."""
        articles = np.asarray(articles, dtype=np.int64)
        firsts = self.starts[articles]
        counts = self.ends()[articles] - firsts
        if 4 * int(counts.sum()) > len(self.vectors):  # a quarter of them: one pass over all is cheaper
            return self.scores(text)[articles]
        offsets = np.cumsum(counts) - counts
        rows = np.repeat(firsts - offsets, counts) + np.arange(int(counts.sum()))
        similarities = np.asarray(self.vectors[rows]) @ self.query_vector(text)
        return np.maximum(np.maximum.reduceat(similarities, offsets), 0.0)


def embedding_phrasings(catalog: dict[str, dict]) -> list[tuple[str, str]]:
    """(article id, phrasing) of every article in a language the model knows."""
    return phrasings(catalog, languages=LANGUAGES)


def embed_phrasings(pairs: list[tuple[str, str]]) -> PhrasingVectors | None:
    """The vectors of `pairs` (grouped by article id, as `phrasings` gives them), or None if empty."""
    if not pairs:
        return None
    article_ids, starts = [], []
    for n, (article_id, _) in enumerate(pairs):
        if not article_ids or article_ids[-1] != article_id:
            article_ids.append(article_id)
            starts.append(n)
    return PhrasingVectors(article_ids, encode([text for _, text in pairs]), np.array(starts, dtype=np.int64))


def save(vectors: PhrasingVectors, texts: list[str], folder: Path) -> None:
    """Write the vectors (and the phrasings they embed, for re-use) into `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "vectors.npy", vectors.vectors)
    np.save(folder / "starts.npy", vectors.starts)
    (folder / "phrasings.json").write_text(json.dumps({"article_ids": vectors.article_ids, "texts": texts},
                                                      ensure_ascii=False), "utf-8")


def load(folder: Path) -> tuple[PhrasingVectors, list[str]]:
    """The vectors `save` wrote, memory-mapped, and the phrasing texts of their rows."""
    data = json.loads((folder / "phrasings.json").read_text("utf-8"))
    return (PhrasingVectors(data["article_ids"], np.load(folder / "vectors.npy", mmap_mode="r"),
                            np.load(folder / "starts.npy")), data["texts"])


def embed_reusing(pairs: list[tuple[str, str]], previous: tuple[PhrasingVectors, list[str]] | None
                  ) -> PhrasingVectors | None:
    """`embed_phrasings(pairs)`, taking the vectors of phrasings `previous` already embedded: after an
    edit only new phrasings are encoded (and the model is loaded only if there are any)."""
    if not pairs:
        return None
    known: dict[tuple[str, str], int] = {}
    if previous is not None:
        old, texts = previous
        spans = zip(old.article_ids, old.starts.tolist(), old.ends().tolist(), strict=True)
        for article_id, start, end in spans:
            for row in range(start, end):
                known[(article_id, texts[row])] = row
    missing = [pair for pair in pairs if pair not in known]
    fresh = dict(zip(missing, encode([text for _, text in missing]), strict=True)) if missing else {}
    article_ids, starts, rows = [], [], []
    for n, pair in enumerate(pairs):
        if not article_ids or article_ids[-1] != pair[0]:
            article_ids.append(pair[0])
            starts.append(n)
        rows.append(fresh[pair] if pair in fresh else previous[0].vectors[known[pair]])
    return PhrasingVectors(article_ids, np.asarray(rows, dtype=np.float32).reshape(len(pairs), -1),
                           np.array(starts, dtype=np.int64))
