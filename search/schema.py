"""The Whoosh schema: one index holding three kinds of documents.

- `article`: one per article; title, questions, tags, headings and body as terms,
  its metadata stored for listings and the API.
- `content`: one per article; its Markdown source, stored only,
  so listings can read every article document without loading every page.
- `unit`: one per answer unit (section or FAQ entry) of articles that have more
  than one; its heading, text and path (the headings it sits under; the title for
  the overview), and the kinds of value it states (a duration, a time of day…).
- `meta`: exactly one; the lexicon (domain words, synonyms) the index was built
  with and the problems of the last run, committed together with the documents.

Text fields hold terms the `search.analysis.Analyzer` already produced (joined by
spaces), so segmentation can run in worker processes and each text is segmented
once; the field analyzer only splits on spaces.
"""

from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

# Bump when fields or analysis change: an index of another version is rebuilt in full.
SCHEMA_VERSION = 13
ARTICLE, CONTENT, UNIT, META = "article", "content", "unit", "meta"

# Fields scored for articles and for units, with their query-time weights:
# title and questions above headings above body.
ARTICLE_FIELDS = {"title": 3.0, "questions": 3.0, "tags": 2.0, "headings": 1.5, "body": 1.0}
# Chinese character pairs of the title and questions, queried beside the words.
GRAMS_FIELD, GRAMS_WEIGHT = "grams", 2.0
# Single Chinese characters of the title and questions.
CHARS_FIELD, CHARS_WEIGHT = "chars", 6.0
# Character 3- and 4-grams of the Latin words of the title and questions.
LATIN_GRAMS_FIELD, LATIN_GRAMS_WEIGHT = "latin_grams", 0.6
# Pinyin (full and initials) of the title's and tags' Chinese words, for Latin query words.
PINYIN_FIELD, PINYIN_WEIGHT = "pinyin", 2.0
# Kinds of value a unit states (search.answer_types), as `kind_duration`… terms.
VALUES_FIELD = "u_values"
UNIT_FIELDS = {"u_heading": 2.5, "u_text": 1.0, "u_path": 1.0}


def _terms(phrase: bool = False) -> TEXT:
    return TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=phrase)


def build_schema() -> Schema:
    return Schema(
        uid=ID(unique=True, stored=True),
        kind=ID(stored=True),
        article_id=ID(stored=True),
        path=ID(stored=True),
        lang=ID(stored=True),
        category=ID(stored=True),
        visibility=ID(stored=True),
        title=_terms(phrase=True),
        questions=_terms(phrase=True),
        tags=_terms(),
        headings=_terms(),
        grams=_terms(),
        chars=_terms(),
        latin_grams=_terms(),
        pinyin=_terms(),
        body=_terms(),
        u_heading=_terms(phrase=True),
        u_text=_terms(),
        u_path=_terms(),
        u_values=KEYWORD(),  # kinds of value the unit states (search.answer_types)
        spell=KEYWORD(lowercase=True),
        data=STORED(),
    )
