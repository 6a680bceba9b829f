"""The question classifier: trained on the phrasings articles list, used by real searches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression

from search import derived, store
from search.analysis import Analyzer
from search.classifier import _vectorizers, train_question_classifier, training_phrasings
from search.config import RankingConfig
from search.indexer import sync_index
from tests.search.conftest import ARTICLES, first, write_article


def test_wording_learned_from_listed_questions_ranks_the_right_article_first(intents):
    _, _, index = intents
    # "on its way" shares no word with the delivery article's title; its questions
    # teach that card + waiting/arrival wording means delivery.
    index.config = replace(RankingConfig(), meaning_weight=0.0)  # the classifier alone
    assert first(index, "is my card on its way") == "card-delivery"
    index.config = replace(RankingConfig(), meaning_weight=0.0, classifier_weight=0.0)
    assert first(index, "is my card on its way") != "card-delivery"


def test_probabilities_are_those_of_scikit_learns_own_pipeline():
    analyzer = Analyzer()
    pairs = [(article_id, text) for article_id, (title, questions, _) in ARTICLES.items()
             for text in (title, *questions)]
    classifier = train_question_classifier(pairs, analyzer)
    vectorizers = _vectorizers(analyzer)
    texts = [text for _, text in pairs]
    features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    model = LogisticRegression(C=10.0, max_iter=1000).fit(features, [a for a, _ in pairs])
    queries = ["is my card on its way", "refund??", "退款", "", "card card card top-up"]
    expected = model.predict_proba(hstack([v.transform(queries) for v in vectorizers]).tocsr())
    got = np.array([classifier.probabilities(q) for q in queries])
    assert classifier.article_ids == list(model.classes_)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_two_articles_give_a_sigmoid_over_both():
    pairs = [(a, t) for a in ("card-delivery", "refund-status")
             for t in (ARTICLES[a][0], *ARTICLES[a][1])]
    classifier = train_question_classifier(pairs, Analyzer())
    delivery, refund = classifier.probabilities("where is my refund")
    assert classifier.article_ids == ["card-delivery", "refund-status"]
    assert refund > delivery and delivery + refund == pytest.approx(1.0)


def test_only_articles_listing_questions_are_learned_and_one_article_is_not_enough():
    catalog = {"a": {"title": "A", "questions": ["q1", "q2"], "lang": "en"},
               "b": {"title": "B", "questions": ["q1"], "lang": "en"},
               "c": {"title": "C", "questions": [], "lang": "zh"}}
    assert training_phrasings(catalog) == [("a", "A"), ("a", "q1"), ("a", "q2")]
    assert train_question_classifier(training_phrasings(catalog), Analyzer()) is None


def test_a_query_matching_no_word_gets_no_guess(intents):
    _, _, index = intents
    assert index.search("zzxq wvvk").articles == []


def test_excluded_and_quoted_words_still_hold(intents):
    _, _, index = intents
    assert "card-delivery" not in [a.id for a in index.search("is my card on its way -posted").articles]
    assert {a.id for a in index.search('"refund" is my card on its way').articles} == {"refund-status"}


def test_the_writer_trains_again_only_when_the_phrasings_change(intents):
    articles, index_dir, index = intents
    before = index.versions.refresh()
    weights = derived.latest(store.current_generation(index_dir)) / "classifier" / "weights.npy"
    title, questions, _ = ARTICLES["lost-card"]
    write_article(articles, "lost-card", title, questions, "Freeze it in the app, then call us.")
    sync_index(articles, index_dir)
    body_edit = index.versions.refresh()
    assert body_edit.toc > before.toc and body_edit.classifier.key == before.classifier.key
    # The same files, linked into the new commit's derived state: nothing was trained.
    now = derived.latest(store.current_generation(index_dir)) / "classifier" / "weights.npy"
    assert now != weights and now.stat().st_ino == weights.stat().st_ino
    write_article(articles, "lost-card", title, [*questions, "My wallet was stolen"], "Freeze it.")
    write_article(articles, "pin-reset", "Reset your PIN", ["I forgot my PIN", "How do I change my PIN?"],
                  "Choose Cards, then Reset PIN.")
    sync_index(articles, index_dir)
    state = index.versions.refresh()
    assert state.classifier.key != before.classifier.key
    assert "pin-reset" in state.classifier.model.article_ids
    assert first(index, "I forgot my PIN") == "pin-reset"
    assert first(index, "my wallet was stolen") == "lost-card"
