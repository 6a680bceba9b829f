"""The ways an article is asked for: its title and its `questions:`.

The question classifier learns from them and the embeddings compare queries with
them; both are rebuilt only when the phrasings (their `fingerprint`) change.
"""

from __future__ import annotations

import hashlib
import json


def phrasings(catalog: dict[str, dict], min_count: int = 1, languages: frozenset[str] | None = None
              ) -> list[tuple[str, str]]:
    """(article id, phrasing) of articles with at least `min_count` phrasings, in id order.

    `languages` limits them to articles in those languages.
    """
    pairs = []
    for article_id in sorted(catalog):
        record = catalog[article_id]
        texts = [record["title"], *record["questions"]]
        if len(texts) >= min_count and (languages is None or record["lang"] in languages):
            pairs += [(article_id, text) for text in texts]
    return pairs


def fingerprint(pairs: list[tuple[str, str]]) -> str:
    """A key that changes exactly when the phrasings do."""
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()
