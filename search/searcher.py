"""`SearchIndex`: everything the web layer asks of an index, answered as plain data.

A thin facade over the jobs of the `search` package: `search.version` keeps the
current index version and its derived state, `search.ranking` answers searches
(with `search.spelling` for did-you-mean), `search.catalog` suggestions,
listings and article pages. One object per process; every call uses the version
that is current when it starts, and calls run in parallel threads (no lock is held
around a search; a newer version is loaded in the background and swapped in).

Internal articles exist only for callers that pass `internal=True`.
"""

from __future__ import annotations

from pathlib import Path

from search import catalog, ranking
from search.ranking import MAX_OFFSET
from search.results import SearchResults
from search.version import IndexMissing, Versions

__all__ = ["MAX_OFFSET", "IndexMissing", "SearchIndex"]


class SearchIndex:
    """Searches, suggestions, listings and article pages over one index folder.

    `config` is the `search.config.RankingConfig` every search ranks with (None: the defaults).
    """

    def __init__(self, index_dir: Path, config=None):
        self.index_dir = Path(index_dir)
        self.config = config
        self.versions = Versions(self.index_dir, prepare=lambda state: ranking.prepare(state, config))

    def _current(self):
        return self.versions.current()

    def close(self) -> None:
        self.versions.close()

    def search(self, text: str, limit: int = 10, offset: int = 0, lang: str | None = None,
               category: str | None = None, internal: bool = False) -> SearchResults:
        """Ranked articles (`limit` of them from `offset`), the best answer units and suggestions."""
        return ranking.search(self._current(), text, limit=limit, offset=offset, lang=lang,
                              category=category, internal=internal, config=self.config)

    def suggest(self, prefix: str, limit: int = 8, internal: bool = False) -> list[dict]:
        """Type-ahead over titles and questions: prefix matches first, then substrings."""
        return catalog.suggest(self._current(), prefix, limit=limit, internal=internal)

    def list_articles(self, limit: int = 50, offset: int = 0, category: str | None = None,
                      lang: str | None = None, internal: bool = False, sort: str = "title"
                      ) -> tuple[int, list[dict]]:
        """(total, page) of article records, sorted by title or by `updated` (newest first)."""
        return catalog.list_articles(self._current(), limit=limit, offset=offset, category=category,
                                     lang=lang, internal=internal, sort=sort)

    def lookup(self, article_ids: list[str], internal: bool = False) -> list[dict]:
        """Listings of the given articles, in that order; unknown or hidden ids are left out."""
        return catalog.lookup(self._current(), article_ids, internal=internal)

    def categories(self, internal: bool = False) -> list[dict]:
        """Each category with its language and number of visible articles."""
        return catalog.categories(self._current(), internal=internal)

    def get_article(self, article_id: str, internal: bool = False) -> dict | None:
        """The full article (record, Markdown `source`, sections, related; no HTML) or None if it
        is unknown or not visible."""
        return catalog.get_article(self._current(), article_id, internal=internal)

    def link_pages(self) -> list[dict]:
        """Every article's addresses, headings and anchors, for resolving links in web."""
        return catalog.link_pages(self._current())

    def health(self) -> dict:
        """Article count, when the index was written, the problems of the last run, and how many
        articles the meaning model has passages of."""
        return catalog.health(self._current())
