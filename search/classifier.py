"""Which article a question asks for, learned from the questions articles list.

An article that lists several phrasings (its title and `questions:`) shows how
people ask for it. A logistic regression over those phrasings — TF-IDF of
character 1–4-grams of the folded text and of the analyzer's words — learns which
pieces of wording tell one article from the others, something BM25's one weight
per term cannot. `SearchIndex` adds its probabilities to the word scores.

Trained by each search process (`SearchIndex`) on the index it opens, about 40 ms
per article, so knowledge bases with more than `MAX_ARTICLES` articles that list
questions rank by words alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

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


def _vectorizers(analyzer: Analyzer) -> list[TfidfVectorizer]:
    return [TfidfVectorizer(analyzer="char", ngram_range=(1, 4), preprocessor=_folded, sublinear_tf=True),
            TfidfVectorizer(analyzer=analyzer.terms, sublinear_tf=True)]


def train_question_classifier(pairs: list[tuple[str, str]], analyzer: Analyzer) -> QuestionClassifier | None:
    """A classifier over the articles in `pairs`, or None when there are too few or too many."""
    labels = [article_id for article_id, _ in pairs]
    if not MIN_ARTICLES <= len(set(labels)) <= MAX_ARTICLES:
        return None
    vectorizers = _vectorizers(analyzer)
    texts = [text for _, text in pairs]
    try:
        matrix = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    except ValueError:  # the phrasings hold no word at all (stop words only): nothing to learn
        return None
    model = LogisticRegression(C=REGULARIZATION_C, max_iter=1000).fit(matrix, labels)
    # Scoring one query with the vectorizers' and model's own methods costs ~1.5 ms
    # of input validation; the arithmetic below is the same and takes a tenth of that.
    features = [_Features(v.build_analyzer(), dict(v.vocabulary_), v.idf_) for v in vectorizers]
    weights, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        # Two classes get one logit (for the second); softmax over (0, logit) is its sigmoid.
        weights = np.vstack([np.zeros_like(weights), weights])
        intercept = np.concatenate([[0.0], intercept])
    return QuestionClassifier([str(c) for c in model.classes_], features, np.ascontiguousarray(weights.T),
                              intercept.copy())

