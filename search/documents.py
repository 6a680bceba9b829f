"""Turning one `Article` into the Whoosh documents that represent it.

Each text is analyzed once: a unit's terms also make up the article's body field.
A content document stores the Markdown source, so the index always holds the last
version of every article that parsed, even after its file breaks; `web.render` turns
it into HTML when a page is first viewed, which keeps indexing fast.
"""

from __future__ import annotations

from kb.articles import Article
from search import answer_types
from search.analysis import Analyzer, char_bigrams, han_characters, latin_char_grams, latin_words, pinyin_keys
from search.records import ArticleRecord, Unit
from search.schema import ARTICLE, CONTENT, UNIT


def article_documents(article: Article, source: str, analyzer: Analyzer) -> list[dict]:
    """The article document, its content document, then one document per answer unit.

    An article with a single unit gets no unit document: the unit is stored on the
    article (`answer`) and the article's own score ranks it among the answers.
    """
    stored = ArticleRecord.from_article(article)
    common = {"article_id": article.id, "path": article.path, "lang": article.lang,
              "category": article.category,
              # The searched field says who may find it: a draft is found by agents only.
              "visibility": stored.searched_visibility}
    title_terms = analyzer.terms(article.title)
    question_terms = [analyzer.terms(q) for q in article.questions]
    units, body, headings = [], [], []
    ancestors: list[tuple[int, list[str]]] = []  # (level, heading terms) of the open headings
    for section in article.sections:
        heading_terms = analyzer.terms(section.heading) if section.level > 1 else []
        text_terms = analyzer.terms(section.text)
        headings += heading_terms
        body += text_terms
        while ancestors and ancestors[-1][0] >= section.level:
            ancestors.pop()
        # A section's path: the headings it sits under (`## 绑定 HTML class` above
        # `### 绑定对象`); the overview's is the title, the heading of the whole page.
        path = title_terms if section.level == 1 else [t for _, terms in ancestors for t in terms]
        if section.level > 1:
            ancestors.append((section.level, heading_terms))
        if not section.text:
            continue
        units.append({
            **common, "uid": f"u:{article.id}#{section.anchor}", "kind": UNIT,
            # The overview has no heading of its own; the title is its path.
            "u_heading": " ".join(heading_terms), "u_text": " ".join(text_terms),
            "u_path": " ".join(path),
            # The kinds of value it states (a duration, a time of day…), for questions asking one.
            "u_values": " ".join(answer_types.term(kind)
                                 for kind in answer_types.values(f"{section.heading}\n{section.text}")),
            "data": Unit(section.anchor, section.heading, section.text,
                         # The section's own Markdown, for rendering the answer card (tables as
                         # tables); its text without code, for snippets.
                         section.markdown or section.text, section.prose).to_dict(),
        })
    spelling = spelling_words(article)  # for did-you-mean
    content = {**common, "uid": f"c:{article.id}", "kind": CONTENT, "data": {"source": source}}
    record = stored.to_dict()
    if len(units) == 1:
        # The article is its one answer: no unit document repeating its terms.
        record["answer"] = units.pop()["data"]
    elif not units and article.summary:
        # An article without a body answers with its summary.
        record["answer"] = {"anchor": "", "heading": article.title, "text": article.summary,
                            "markdown": article.summary}
    phrasings = "\n".join((article.title, *article.questions))
    doc = {
        **common, "uid": f"a:{article.id}", "kind": ARTICLE,
        "title": " ".join(title_terms),
        # A separator between questions keeps phrase matches inside one question.
        "questions": " | ".join(" ".join(terms) for terms in question_terms),
        "tags": " ".join(t for tag in article.tags for t in analyzer.terms(tag)),
        "headings": " ".join(headings), "body": " ".join(body),
        "grams": " ".join(char_bigrams(phrasings)),
        "chars": " ".join(han_characters(phrasings)),
        "latin_grams": " ".join(latin_char_grams(phrasings)),
        "pinyin": " ".join(pinyin_keys(title_terms + [t for tag in article.tags
                                                      for t in analyzer.terms(tag)])),
        "spell": " ".join(sorted(spelling)), "data": record,
    }
    return [doc, content, *units]


def spelling_words(article: Article) -> set[str]:
    """The terms of the article document's `spell` field: every Latin word the article holds,
    bodies included (each text as the analyzer already folded it: `fold_text` remembers recent
    texts). `search.derived` takes them again to forget an edited article's words."""
    return {w for text in (article.title, *article.questions, article.summary,
                           *(part for s in article.sections for part in (s.heading, s.text)))
            for w in latin_words(text)}
