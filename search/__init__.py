"""search: analysis, indexing and ranking of kb articles with jieba and Whoosh.

`search.analysis` turns mixed Chinese/English text into terms, `search.indexer`
writes articles and their answer units into a Whoosh index under a generation
folder (`search.store`), and `search.searcher.SearchIndex` answers queries with
ranked answers, articles and suggestions as plain data. No HTML is produced here
except the `<mark>` tags of highlighted snippets.
"""
