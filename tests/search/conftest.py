"""A small English knowledge base of intents, each listing how customers ask for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.indexer import sync_index
from search.searcher import SearchIndex

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
    text = f'---\ntitle: "{title}"\nlang: en\nquestions:\n{listed}---\n\n{body}\n'
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
