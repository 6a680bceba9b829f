"""Which article a question asks for, learned from the questions articles list.

An article that lists several phrasings (its title and `questions:`) shows how
people ask for it. A logistic regression over those phrasings — TF-IDF of
character 1–4-grams of the folded text and of the analyzer's words — learns which
pieces of wording tell one article from the others, something BM25's one weight
per term cannot. `SearchIndex` adds its probabilities to the word scores.

Trained by the writer at index time (`search.derived`), about 40 ms per article,
so knowledge bases with more than `MAX_ARTICLES` articles that list questions rank
by words alone. It is saved beside the index (`save`) as numpy arrays and JSON, and
search processes only `load` it: scoring a query needs numpy, not scikit-learn.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.analysis import Analyzer, fold_text
from search.phrasings import phrasings

MIN_PHRASINGS = 3  # the title and at least two questions
MIN_ARTICLES = 2
MAX_ARTICLES = 300
REGULARIZATION_C = 10.0


def training_phrasings(catalog: dict[str, dict]) -> list[tuple[str, str]]:
    """(article id, phrasing) of every article with at least `MIN_PHRASINGS`."""
    return phrasings(catalog, min_count=MIN_PHRASINGS)


def _folded(text: str) -> str:
    return fold_text(text).lower()


_WHITE_SPACES = re.compile(r"\s\s+")
CHAR_NGRAMS = (1, 4)


def char_ngrams(text: str) -> list[str]:
    """The character 1–4-grams of the folded text, exactly as the fitted
    `TfidfVectorizer(analyzer="char", ngram_range=(1, 4), preprocessor=_folded)` makes them."""
    text = _WHITE_SPACES.sub(" ", _folded(text))
    grams = list(text)
    for n in range(CHAR_NGRAMS[0] + 1, min(CHAR_NGRAMS[1] + 1, len(text) + 1)):
        grams += [text[i:i + n] for i in range(len(text) - n + 1)]
    return grams


@dataclass
class _Features:
    """One fitted TF-IDF vectorizer, as what scoring a single query needs."""

    analyze: Callable[[str], list[str]]
    columns: dict[str, int]  # feature → column in the model's weights
    idf: np.ndarray  # by column, this vectorizer's columns only


@dataclass
class QuestionClassifier:
    """Probabilities over `article_ids` for a query text."""

    article_ids: list[str]
    features: list[_Features]
    weights: np.ndarray  # (features of all vectorizers, articles)
    intercept: np.ndarray  # (articles,)

    def probabilities(self, text: str) -> np.ndarray:
        """One probability per article of `article_ids`, summing to 1."""
        logits = self.intercept.copy()
        offset = 0
        for part in self.features:
            counts = Counter(f for f in part.analyze(text) if f in part.columns)
            if counts:
                columns = np.fromiter((part.columns[f] for f in counts), dtype=np.int64, count=len(counts))
                # As TfidfVectorizer(sublinear_tf=True) computes it: (1 + log tf) · idf, unit length.
                values = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * part.idf[columns]
                values /= np.linalg.norm(values)
                logits += values @ self.weights[columns + offset]
            offset += len(part.idf)
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def scores(self, text: str) -> np.ndarray:
        """The probabilities scaled so that the most likely article has 1."""
        probabilities = self.probabilities(text)
        return probabilities / probabilities.max()


def _vectorizers(analyzer: Analyzer) -> list:
    from sklearn.feature_extraction.text import TfidfVectorizer  # only the writer trains

    return [TfidfVectorizer(analyzer="char", ngram_range=CHAR_NGRAMS, preprocessor=_folded,
                            sublinear_tf=True),
            TfidfVectorizer(analyzer=analyzer.terms, sublinear_tf=True)]


def _analyzers(analyzer: Analyzer) -> list[Callable[[str], list[str]]]:
    """What each of `_vectorizers` makes of a text, without scikit-learn."""
    return [char_ngrams, analyzer.terms]


def train_question_classifier(pairs: list[tuple[str, str]], analyzer: Analyzer) -> QuestionClassifier | None:
    """A classifier over the articles in `pairs`, or None when there are too few or too many."""
    labels = [article_id for article_id, _ in pairs]
    if not MIN_ARTICLES <= len(set(labels)) <= MAX_ARTICLES:
        return None
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    vectorizers = _vectorizers(analyzer)
    texts = [text for _, text in pairs]
    try:
        matrix = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    except ValueError:  # the phrasings hold no word at all (stop words only): nothing to learn
        return None
    model = LogisticRegression(C=REGULARIZATION_C, max_iter=1000).fit(matrix, labels)
    # Scoring one query with the vectorizers' and model's own methods costs ~1.5 ms
    # of input validation; the arithmetic below is the same and takes a tenth of that.
    features = [_Features(analyze, dict(v.vocabulary_), v.idf_)
                for analyze, v in zip(_analyzers(analyzer), vectorizers, strict=True)]
    weights, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        # Two classes get one logit (for the second); softmax over (0, logit) is its sigmoid.
        weights = np.vstack([np.zeros_like(weights), weights])
        intercept = np.concatenate([[0.0], intercept])
    return QuestionClassifier([str(c) for c in model.classes_], features, np.ascontiguousarray(weights.T),
                              intercept.copy())



def save(classifier: QuestionClassifier, folder: Path) -> None:
    """Write the classifier into `folder` (created): arrays as .npy, ids and features as JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "weights.npy", classifier.weights)
    np.save(folder / "intercept.npy", classifier.intercept)
    for n, part in enumerate(classifier.features):
        np.save(folder / f"idf{n}.npy", part.idf)
    (folder / "classifier.json").write_text(json.dumps({
        "article_ids": classifier.article_ids,
        # Features in column order.
        "features": [sorted(part.columns, key=part.columns.__getitem__) for part in classifier.features],
    }, ensure_ascii=False), "utf-8")


def load(folder: Path, analyzer: Analyzer) -> QuestionClassifier:
    """The classifier `save` wrote; its large arrays memory-mapped, so processes share their pages."""
    data = json.loads((folder / "classifier.json").read_text("utf-8"))
    parts = zip(_analyzers(analyzer), data["features"], strict=True)
    features = [_Features(analyze, {f: n for n, f in enumerate(names)},
                          np.load(folder / f"idf{n}.npy", mmap_mode="r"))
                for n, (analyze, names) in enumerate(parts)]
    return QuestionClassifier(data["article_ids"], features, np.load(folder / "weights.npy", mmap_mode="r"),
                              np.load(folder / "intercept.npy"))
