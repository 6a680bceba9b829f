"""Which language the help center lists first, measured on the golden queries.

    .venv/bin/python bench/languages.py [--queries tests/golden_queries.tsv]

Indexes `articles/` and asks every golden query twice through the real search:
as its own reader would (interface in the language of the article it expects) and
as a reader of the other interface (the Chinese site, an English question). Four
ways to list results are compared:

- mixed: one ranking over both languages (the help center before issue 15);
- filter: only the interface language; the other one behind the language filter;
- filter, fallback: the same, but the other language when the first finds nothing;
- preferred: the interface language first, then the other (`web.language`, the choice).

Printed per way and reader: MRR@10 and hit@1/@3 against the golden ids, how often
the answer card is in the reader's language, the share of the top 3 that is in the
other language, and queries left with no results.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.evaluate import Judgement, evaluate, read_queries  # noqa: E402
from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402
from web.language import other_language, search_preferring  # noqa: E402


def strategies(index: SearchIndex) -> dict:
    def mixed(q, lang):
        return index.search(q, limit=10)

    def only(q, lang):
        return index.search(q, limit=10, lang=lang)

    def fallback(q, lang):
        found = index.search(q, limit=10, lang=lang)
        return found if found.articles else index.search(q, limit=10, lang=other_language(lang))

    def preferred(q, lang):
        return search_preferring(index, q, lang, limit=10)

    return {"mixed": mixed, "filter": only, "filter, fallback": fallback, "preferred": preferred}


def measure(judgements: list[Judgement], langs: dict[str, str], run, reader: str) -> dict:
    results = {}

    def ranked(query: str) -> list[str]:
        lang = langs[query] if reader == "own" else other_language(langs[query])
        results[query] = (lang, run(query, lang))
        return [a.id for a in results[query][1].articles]

    evaluation = evaluate(judgements, ranked)
    n = len(judgements)
    card_in_language = sum(1 for lang, r in results.values() if r.answers
                           and r.articles and _lang_of(r, r.answers[0].article_id) == lang)
    with_card = sum(1 for _, r in results.values() if r.answers)
    foreign = sum(sum(1 for a in r.articles[:3] if a.lang != lang) for lang, r in results.values())
    shown = sum(len(r.articles[:3]) for _, r in results.values())
    return {"mrr": evaluation.mrr, "hit1": evaluation.hit_at(1), "hit3": evaluation.hit_at(3),
            "card": card_in_language / max(1, with_card), "foreign": foreign / max(1, shown),
            "empty": sum(1 for _, r in results.values() if not r.articles) / n}


def _lang_of(results, article_id: str) -> str | None:
    return next((a.lang for a in results.articles if a.id == article_id), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", default=str(ROOT / "tests" / "golden_queries.tsv"))
    parser.add_argument("--articles", default=str(ROOT / "articles"))
    args = parser.parse_args()
    judgements = read_queries(Path(args.queries))
    with tempfile.TemporaryDirectory() as tmp:
        sync_index(Path(args.articles), Path(tmp) / "index")
        index = SearchIndex(Path(tmp) / "index")
        catalog = {a["id"]: a["lang"] for a in index.list_articles(limit=200, internal=True)[1]}
        # A query's reader reads the language of the first article it expects.
        langs = {j.query: catalog[sorted(j.relevant)[0]] for j in judgements}
        print(f"{len(judgements)} golden queries ({sum(v == 'zh' for v in langs.values())} expect Chinese, "
              f"{sum(v == 'en' for v in langs.values())} English), {len(catalog)} articles\n")
        print("| reader | way | MRR@10 | hit@1 | hit@3 | card in reader's language | "
              "other language in top 3 | no results |")
        print("|---|---|---|---|---|---|---|---|")
        for reader, label in (("own", "own language"), ("other", "other interface")):
            for name, run in strategies(index).items():
                m = measure(judgements, langs, run, reader)
                print(f"| {label} | {name} | {m['mrr']:.3f} | {m['hit1']:.3f} | {m['hit3']:.3f} | "
                      f"{m['card']:.0%} | {m['foreign']:.0%} | {m['empty']:.0%} |")
        index.close()


if __name__ == "__main__":
    main()
