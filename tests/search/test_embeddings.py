"""The phrasing embeddings: the committed static model, and what it changes in real searches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from search.config import RankingConfig
from search.embeddings import embed_phrasings, embedding_phrasings, encode


def test_vectors_have_unit_length_and_put_paraphrases_close():
    delivered, arrived, top_up = encode(["When will my card be delivered?", "my card has not arrived",
                                         "How do I top up?"])
    assert abs(np.linalg.norm(delivered) - 1) < 1e-5
    assert delivered @ arrived > delivered @ top_up + 0.2


def test_an_article_scores_its_closest_phrasing():
    pairs = [("card", "Card delivery"), ("card", "my card has not arrived"),
             ("refund", "Where is my refund?")]
    vectors = embed_phrasings(pairs)
    assert vectors.article_ids == ["card", "refund"]
    query = "the card you sent never came"
    expected = encode([text for _, text in pairs]) @ encode([query])[0]
    np.testing.assert_allclose(vectors.scores(query), [max(expected[0], expected[1]), max(expected[2], 0)],
                               rtol=1e-5)


def test_scoring_some_articles_reads_only_theirs_and_agrees_with_scoring_all():
    """A search scores the few articles it ranks (`scores_of`): the same scores as `scores` gives
    them, for articles with one phrasing or several, first, last or in between, in any order."""
    pairs = [("card", "Card delivery"), ("card", "my card has not arrived"),
             ("refund", "Where is my refund?"),
             ("pin", "How do I change my PIN?"), ("pin", "reset my pin"), ("pin", "PIN blocked"),
             ("fee", "Why was I charged a fee?")]
    vectors = embed_phrasings(pairs)
    query = "my new card never came and I want my money back"
    every = vectors.scores(query)
    for articles in ([0], [3], [1, 2], [3, 0, 2], [0, 1, 2, 3]):
        np.testing.assert_allclose(vectors.scores_of(query, np.array(articles)), every[articles], rtol=1e-6)


def test_only_articles_in_english_are_embedded():
    catalog = {"en-card": {"title": "Card delivery", "questions": ["Where is my card?"], "lang": "en"},
               "zh-card": {"title": "银行卡多久寄到", "questions": [], "lang": "zh"}}
    assert embedding_phrasings(catalog) == [("en-card", "Card delivery"), ("en-card", "Where is my card?")]
    assert embed_phrasings([]) is None


def test_meaning_ranks_the_article_the_words_alone_miss(intents):
    _, _, index = intents

    def rank_of_refund(query: str) -> int:
        ids = [a.id for a in index.search(query).articles]
        return ids.index("refund-status") if "refund-status" in ids else len(ids)

    # No word of "refund" in the query: the embeddings know that money given back is one.
    query = "the store gave my money back but it is not in my balance"
    index.config = replace(RankingConfig(), classifier_weight=0.0)
    with_meaning = rank_of_refund(query)
    index.config = replace(RankingConfig(), classifier_weight=0.0, meaning_weight=0.0)
    assert with_meaning < rank_of_refund(query)


def test_meaning_adds_no_article_the_words_did_not_find(intents):
    _, _, index = intents
    assert index.search("zzxq wvvk").articles == []
    assert {a.id for a in index.search('"refund" the card you sent never came').articles} == {"refund-status"}


def test_encoding_is_model2vecs_own():
    """The product reads the model with `tokenizers` and `safetensors`; it must encode as model2vec does."""
    from model2vec import StaticModel

    from search.embeddings import MODEL_DIR, encode

    texts = ["How long does card delivery take?", "leadtime for a new card to show up in the mail",
             "退款多久到账", "", "zzxq wvvk", "Apple Pay 绑卡失败怎么办", "refund " * 700]
    expected = StaticModel.from_pretrained(MODEL_DIR).encode(texts).astype(np.float32)
    expected /= np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-9)
    np.testing.assert_allclose(encode(texts), expected, atol=1e-3)
