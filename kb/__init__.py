"""kb: the knowledge base as editors write it.

Reading Markdown articles (front matter, sections, answer units), validating them,
rendering them to safe HTML, and the configuration and `kb` command that tie the
packages together. Nothing here knows about Whoosh or Flask; `kb.cli` is the one
composition root that calls into `search` and `web`.
"""
