"""The question classifier: trained on the phrasings articles list, used by real searches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression

import search.searcher as searcher_module
from search.analysis import Analyzer
from search.classifier import _vectorizers, phrasings, train_question_classifier
from search.indexer import sync_index
from search.searcher import SearchIndex
from tests.conftest import eventually

ARTICLES = {
    "card-delivery": ("Card delivery", ["When will my card arrive?", "My card has not arrived yet",
                                        "How long does it take to get my card in the mail?",
                                        "Where is my new card?", "Still waiting for the card you sent"],
                      "Cards are posted within two working days and arrive within a week."),
    "card-activation": ("Activate your card", ["How do I activate my new card?",
                                               "My new card is not working", "Where do I turn on my card?",
                                               "The card I received will not work"],
                        "Open the app, choose Cards, then Activate, and enter the code on the letter."),
    "refund-status": ("Refund not showing", ["Where is my refund?", "My refund has not arrived",
                                             "When will I get my refund?",
                                             "The shop says it refunded me but I see nothing"],
                      "Refunds take up to five working days to appear after the merchant sends them."),
    "top-up-failed": ("Top-up failed", ["My top-up did not work", "Why was my top up declined?",
                                        "I tried to add money but it failed"],
                      "A top-up fails when the card issuer declines it or the card has expired."),
    "lost-card": ("Lost or stolen card", ["I lost my card", "Someone stole my card",
                                          "I cannot find my card anywhere"],
                  "Freeze the card in the app at once, then order a replacement."),
}


def write_article(folder: Path, article_id: str, title: str, questions: list[str], body: str) -> None:
    listed = "".join(f'  - "{q}"\n' for q in questions)
    text = f'---\ntitle: "{title}"\nlang: en\nquestions:\n{listed}---\n\n{body}\n' if questions else \
        f'---\ntitle: "{title}"\nlang: en\n---\n\n{body}\n'
    (folder / f"{article_id}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def intents(tmp_path: Path):
    articles = tmp_path / "articles"
    articles.mkdir()
    for article_id, (title, questions, body) in ARTICLES.items():
        write_article(articles, article_id, title, questions, body)
    sync_index(articles, tmp_path / "index")
    index = SearchIndex(tmp_path / "index")
    yield articles, tmp_path / "index", index
    index.close()


def first(index: SearchIndex, query: str) -> str | None:
    articles = index.search(query).articles
    return articles[0].id if articles else None


def test_wording_learned_from_listed_questions_ranks_the_right_article_first(intents, monkeypatch):
    _, _, index = intents
    # "on its way" shares no word with the delivery article's title; its questions
    # teach that card + waiting/arrival wording means delivery.
    assert first(index, "is my card on its way") == "card-delivery"
    monkeypatch.setattr(searcher_module, "CLASSIFIER_WEIGHT", 0.0)
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
    catalog = {"a": {"title": "A", "questions": ["q1", "q2"]}, "b": {"title": "B", "questions": ["q1"]},
               "c": {"title": "C", "questions": []}}
    assert phrasings(catalog) == [("a", "A"), ("a", "q1"), ("a", "q2")]
    assert train_question_classifier(phrasings(catalog), Analyzer()) is None


def test_a_query_matching_no_word_gets_no_guess(intents):
    _, _, index = intents
    assert index.search("zzxq wvvk").articles == []


def test_excluded_and_quoted_words_still_hold(intents):
    _, _, index = intents
    assert "card-delivery" not in [a.id for a in index.search("is my card on its way -posted").articles]
    assert {a.id for a in index.search('"refund" is my card on its way').articles} == {"refund-status"}


def test_trained_again_in_the_background_only_when_the_phrasings_change(intents):
    articles, index_dir, index = intents
    classifier = index._current().classifier
    title, questions, _ = ARTICLES["lost-card"]
    write_article(articles, "lost-card", title, questions, "Freeze it in the app, then call us.")
    sync_index(articles, index_dir)
    index._checked = 0.0  # look at the disk now rather than after the refresh interval
    assert index._current().classifier is classifier
    write_article(articles, "lost-card", title, [*questions, "My wallet was stolen"], "Freeze it.")
    write_article(articles, "pin-reset", "Reset your PIN", ["I forgot my PIN", "How do I change my PIN?"],
                  "Choose Cards, then Reset PIN.")
    sync_index(articles, index_dir)
    index._checked = 0.0
    # Searches answer at once, with the last classifier, while the new one learns.
    assert first(index, "I forgot my PIN") == "pin-reset"
    eventually(lambda: index._current().classifier is not classifier, timeout=30)
    assert "pin-reset" in index._current().classifier.article_ids
    assert first(index, "my wallet was stolen") == "lost-card"
