"""What an English question means beyond its words: static embeddings of word pieces.

`search/models/minilm-static` holds one vector per word piece, distilled with
model2vec from the sentence-transformers model all-MiniLM-L6-v2 (its README says
how). A text's vector is the mean of its pieces' vectors, so "leadtime for a new
card to show up in the mail" lands near "How long does card delivery take?"
although they share one word. No neural network runs at search time: encoding a
query takes a fraction of a millisecond.

Each English article is represented by its phrasings (title and questions); its
score for a query is the best cosine similarity among them. The model knows
English only, so other articles are not embedded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from model2vec import StaticModel

from search.phrasings import phrasings

MODEL_DIR = Path(__file__).parent / "models" / "minilm-static"
LANGUAGES = frozenset({"en"})


@functools.cache
def static_model() -> StaticModel:
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
