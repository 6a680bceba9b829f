"""What an English question means beyond its words: static embeddings of word pieces.

`search/models/minilm-static` holds one vector per word piece, distilled with
model2vec from the sentence-transformers model all-MiniLM-L6-v2 (its README says
how). A text's vector is the mean of its pieces' vectors, so "leadtime for a new
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


@functools.cache
def static_model():
    """The model, loaded once per process and only when a text is encoded."""
    from model2vec import StaticModel

    return StaticModel.from_pretrained(MODEL_DIR)


def encode(texts: list[str]) -> np.ndarray:
    """One unit-length float32 vector per text (zero for a text with no known piece)."""
    vectors = static_model().encode(texts).astype(np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


@dataclass
class PhrasingVectors:
    """The embedded phrasings of `article_ids`, grouped by article."""

    article_ids: list[str]
    vectors: np.ndarray  # (phrasings, dimensions), unit length
    starts: np.ndarray  # index of each article's first phrasing

    def scores(self, text: str) -> np.ndarray:
        """Per article, the best cosine similarity of `text` with one of its phrasings (at least 0)."""
        similarities = self.vectors @ encode([text])[0]
        return np.maximum(np.maximum.reduceat(similarities, self.starts), 0.0)


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
        ends = [*old.starts[1:].tolist(), len(texts)]
        for article_id, start, end in zip(old.article_ids, old.starts.tolist(), ends, strict=True):
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
