"""Ranking reads only the documents a query's postings touch (`search.scoring.Candidates`): the
same scores, ranks, cards and confidence as a ranking over every document of the index, whatever
the filters, and documents no posting touches (deleted ones, articles without the words) never
come back."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from search import evidence, ranking
from search.indexer import sync_index
from search.query import parse_query
from search.searcher import SearchIndex
from search.spelling import _corrections
from tests.search.conftest import ARTICLES, write_article

ROOT = Path(__file__).resolve().parents[2]
BODYLESS = ('---\ntitle: "Card limit questions"\nlang: en\nquestions:\n  - "What is my card limit?"\n'
            '  - "How much can I spend with my card?"\n---\n')
GONE = "---\ntitle: 绝版卡片说明\nlang: zh\n---\n\n## 绝版卡片\n\n这种 vintageplasma 卡片已经停止发行。\n"
QUERIES = ["退款多久到账", "how long does a refund take", "银行卡 -冻结", '"refund" card', "huabei 还款",
           "refnd", "Card delivery", "my card has not arrived", "What is my card limit?",
           "登录密码忘了怎么办", "zzqxv qqzzy", "怎么", "the", "客服电话 customer service hours",
           "付不了款", "银行卡删不掉"]  # the last three: no article holds every word, characters count


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """The starter knowledge base with the intents, an article without a body and one to delete;
    after a second sync one article is edited and one deleted (their old documents linger in the
    segments, marked deleted, until a merge)."""
    folder = tmp_path_factory.mktemp("candidates")
    articles, index_dir = folder / "articles", folder / "index"
    shutil.copytree(ROOT / "articles", articles)
    for article_id, (title, questions, body) in ARTICLES.items():
        write_article(articles, article_id, title, questions, body)
    (articles / "card-limit.md").write_text(BODYLESS, "utf-8")
    (articles / "vintage.md").write_text(GONE, "utf-8")
    sync_index(articles, index_dir)
    (articles / "vintage.md").unlink()
    edited_path = articles / "refund-status.md"
    edited_path.write_text(edited_path.read_text("utf-8")
                           + "\nRefunds to a closed card go back to the bank.\n", "utf-8")
    sync_index(articles, index_dir)
    index = SearchIndex(index_dir)
    yield index
    index.close()


def _both(index: SearchIndex, text: str, lang: str | None, internal: bool):
    """(the search's ranking, the same ranking over every document of the index, derived state)."""
    state = index._current()
    config = ranking.DEFAULT_CONFIG
    derived = ranking._derive(state, config)
    allowed = ranking._allowed(state, lang, None, internal)
    rankings = []
    for include in ((), np.arange(len(derived.docs.articles))):
        parsed = parse_query(text, state.analyzer, state.synonyms, config.synonym_weight)
        corrected = ranking._corrected(parsed.text, _corrections(state, parsed, internal, config.typo_weight))
        rankings.append(ranking.rank(state, derived, parsed, allowed, internal, config, corrected,
                                     include=include))
    return (*rankings, derived, state)


def test_the_index_keeps_deleted_documents(edited):
    reader = edited._current().raw_searcher.reader()
    assert reader.has_deletions()  # else the test below would not cover them


@pytest.mark.parametrize("lang", [None, "zh", "en"])
@pytest.mark.parametrize("internal", [False, True])
def test_candidates_rank_as_every_document_would(edited, lang, internal):
    config = ranking.DEFAULT_CONFIG
    for text in QUERIES:
        sparse, dense, derived, state = _both(edited, text, lang, internal)
        assert len(dense.space) == len(derived.docs.articles)
        articles = np.flatnonzero(derived.docs.articles)
        assert [sparse.score(int(d)) for d in articles] == [dense.score(int(d)) for d in articles], text
        sparse_top, sparse_total = sparse.top(20)
        dense_top, dense_total = dense.top(20)
        assert sparse_top.tolist() == dense_top.tolist() and sparse_total == dense_total, text
        assert (sparse.words, sparse.strong) == (dense.words, dense.strong), text

        def has_answer(d, state=state, derived=derived):
            return "answer" in state.catalog[derived.ids[d]]

        # Every listed article's own best unit (its snippet's source; the first ones' are the cards).
        best = evidence.best_units(sparse, derived.docs, sparse_top, has_answer, config)
        assert best == evidence.best_units(dense, derived.docs, dense_top, has_answer, config), text
        # Weighed together, each article's units choose as they do alone.
        assert best == {int(d): evidence.best_units(sparse, derived.docs, [d], has_answer, config)[int(d)]
                        for d in sparse_top}, text
        cards = evidence.choose_cards([c for d in sparse_top[:3] if (c := best[int(d)]) is not None], config)
        card = cards[0] if cards else None
        assert (evidence.confidence(sparse, card, len(sparse_top) > 0, config)
                == evidence.confidence(dense, card, len(dense_top) > 0, config)), text


def test_a_search_reads_only_what_its_postings_touch(edited):
    sparse, _, derived, _ = _both(edited, "how long does a refund take", None, True)
    assert 0 < len(sparse.space) < len(derived.docs.articles) / 2
    absent, _, _, _ = _both(edited, "zzqxv qqzzy", None, True)
    assert absent.top(10)[1] == 0 and not absent.words


def test_words_found_nowhere_find_nothing(edited):
    results = edited.search("zzqxv qqzzy", internal=True)
    assert results.articles == [] and results.total == 0 and results.confidence == "none"


def test_a_deleted_article_is_never_found_and_an_edited_one_once(edited):
    for text in ("vintageplasma", "绝版卡片 停止发行"):
        results = edited.search(text, internal=True, limit=50)
        assert "vintage" not in [hit.id for hit in results.articles]
        assert all(answer.article_id != "vintage" for answer in results.answers)
    ids = [hit.id for hit in edited.search("refund closed card bank", internal=True, limit=50).articles]
    assert ids.count("refund-status") == 1


def test_filters_hold_on_the_candidates(edited):
    for text in ("escalate complaint 投诉 升级", "identity check 身份核验"):
        public = edited.search(text, limit=50)
        assert all(hit.visibility == "public" for hit in public.articles)
        agents = edited.search(text, limit=50, internal=True)
        assert any(hit.visibility == "internal" for hit in agents.articles)
        english = edited.search(text, limit=50, internal=True, lang="en")
        assert english.articles and all(hit.lang == "en" for hit in english.articles)


def test_whole_question_pieces_score_articles_without_a_body_as_over_every_document(edited):
    """The whole question's fuzzy pieces count only for articles without a body: read for those
    alone (`Extra.among`), they give them the scores they get read for every document."""
    state = edited._current()
    derived = ranking._derive(state, ranking.DEFAULT_CONFIG)
    scorer, bodyless = derived.scorers[True], derived.docs.bodyless
    everything = np.arange(len(bodyless))
    found = 0
    for text in QUERIES:
        parsed = parse_query(text, state.analyzer, state.synonyms)
        extras = ranking._extras(ranking.DEFAULT_CONFIG, parsed.all_grams, parsed.all_latin_grams,
                                 parsed.words, parsed.all_chars)
        kept = [extra._replace(among=bodyless) for extra in extras]
        space = scorer.candidates(parsed, [], extras, derived.docs.parent, everything)
        unmatched = np.zeros(len(space), dtype=bool)
        every = space.at(scorer.extras(extras, unmatched, False, space), everything)
        only = space.at(scorer.extras(kept, unmatched, False, space), everything)
        assert np.array_equal(every[bodyless], only[bodyless]) and not only[~bodyless].any(), text
        found += int(only[bodyless].any())
    assert found  # some question shares pieces with the article without a body
