"""Whether a change to the search path changes what searches return: dump, then compare.

    .venv/bin/python bench/same_results.py build WORK            # index every quality set once
    .venv/bin/python bench/same_results.py dump WORK OUT.json [--index DIR --queries FILE.json]
    .venv/bin/python bench/same_results.py compare BEFORE.json AFTER.json

`build` indexes the sets of `bench/quality.py` (vue-zh, vue-en, golden, AFQMC, BANKING77) into
WORK with the product's `sync_index`, with their queries (in-domain, off-topic, held-out). `dump`
searches every query of every set with the code in the working tree — as an agent, as the public,
page 2, and on the golden set each language — and writes, per search, the ranked article ids with
their scores and snippets, the total, the answer cards (article, heading, anchor, score, snippet),
the confidence, did-you-mean and the suggested links; `--index`/`--queries` (a JSON list) add
another index, e.g. a cost-curve one. Run `dump` before and after a change on the same indexes,
then `compare`: it prints each search that differs and counts the differences by kind (order,
cards, totals, confidence, snippets, or only a displayed score and by how much).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = [("agents", {"internal": True}), ("public", {"internal": False}),
            ("page 2", {"internal": True, "offset": 10})]
LANGUAGES = [("zh", {"internal": True, "lang": "zh"}), ("en", {"internal": False, "lang": "en"})]


def build(work: Path, shared: Path) -> None:
    from bench import quality
    from search.indexer import sync_index

    for key in quality.SET_KEYS:
        dataset = quality.load_set(key, shared, work / "sets")
        sync_index(dataset.articles, work / key)
        queries = [j.query for j in dataset.queries + dataset.off_topic + (dataset.held_out or [])]
        (work / f"{key}.queries.json").write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
        print(f"{key}: {len(queries)} queries", flush=True)


def _result(results) -> dict:
    return {"total": results.total, "confidence": results.confidence, "did_you_mean": results.did_you_mean,
            "articles": [(a.id, a.score, a.snippet) for a in results.articles],
            "answers": [(a.article_id, a.heading, a.anchor, a.score, a.snippet) for a in results.answers],
            "suggested": [s.id for s in results.suggested]}


def _searches(index_dir: Path, queries: list[str], variants) -> list:
    from search.searcher import SearchIndex

    index = SearchIndex(index_dir)
    try:
        return [(query, name, _result(index.search(query, limit=10, **kwargs)))
                for query in queries for name, kwargs in variants]
    finally:
        index.close()


def dump(work: Path, out: Path, extra: list[tuple[Path, Path]]) -> None:
    from bench import quality

    found = {}
    for key in quality.SET_KEYS:
        queries = json.loads((work / f"{key}.queries.json").read_text("utf-8"))
        found[key] = _searches(work / key, queries, VARIANTS + (LANGUAGES if key == "golden" else []))
        print(f"{key}: {len(found[key])} searches", flush=True)
    for index_dir, queries_file in extra:
        queries = json.loads(queries_file.read_text("utf-8"))
        found[str(index_dir)] = _searches(index_dir, queries, VARIANTS[:2])
        print(f"{index_dir}: {len(found[str(index_dir)])} searches", flush=True)
    out.write_text(json.dumps(found, ensure_ascii=False), "utf-8")


def differences(before: dict, after: dict) -> list[str]:
    """The kinds in which one search's results differ (empty: the same)."""
    if before == after:
        return []
    kinds = [field for field in ("total", "confidence", "did_you_mean", "suggested")
             if before[field] != after[field]]
    ids = ([a[0] for a in before["articles"]], [a[0] for a in after["articles"]])
    if ids[0] != ids[1]:
        kinds.append("order")
    elif [a[1] for a in before["articles"]] != [a[1] for a in after["articles"]]:
        worst = max(abs(x[1] - y[1]) for x, y in zip(before["articles"], after["articles"], strict=True))
        kinds.append(f"a displayed score, by up to {worst:.4f}")
    if [a[2] for a in before["articles"]] != [a[2] for a in after["articles"]]:
        kinds.append("article snippets")
    if [a[:3] for a in before["answers"]] != [a[:3] for a in after["answers"]]:
        kinds.append("cards")
    elif before["answers"] != after["answers"]:
        kinds.append("card scores or snippets")
    return kinds


def compare(before_file: Path, after_file: Path) -> int:
    before, after = (json.loads(path.read_text("utf-8")) for path in (before_file, after_file))
    counts: Counter = Counter()
    searched = 0
    for key, rows in before.items():
        if key not in after or len(after[key]) != len(rows):
            print(f"{key}: not searched alike in {after_file}")
            counts[(key, "missing")] += 1
            continue
        for (query, variant, old), (query_after, variant_after, new) in zip(rows, after[key], strict=True):
            if (query, variant) != (query_after, variant_after):
                sys.exit(f"{key}: the dumps search different queries ({query!r} / {query_after!r})")
            searched += 1
            kinds = differences(old, new)
            if kinds:
                counts[(key, ", ".join(kinds))] += 1
                print(f"{key} [{variant}] {query!r}: {', '.join(kinds)}")
    for (key, kinds), n in sorted(counts.items()):
        print(f"{n:6} {key}: {kinds}")
    print(f"{sum(counts.values())} of {searched} searches differ")
    return 1 if counts else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build", help="index the quality sets into WORK")
    building.add_argument("work", type=Path)
    building.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    dumping = commands.add_parser("dump", help="search every query of the sets in WORK into OUT")
    dumping.add_argument("work", type=Path)
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--index", type=Path, action="append", default=[], help="another index folder")
    dumping.add_argument("--queries", type=Path, action="append", default=[],
                         help="a JSON list of queries for each --index")
    comparing = commands.add_parser("compare", help="the searches whose results differ")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        if not (args.shared / "eval" / "make_kb.py").exists():
            sys.exit(f"evaluation data not found under {args.shared}/eval")
        build(args.work, args.shared)
    elif args.command == "dump":
        if len(args.index) != len(args.queries):
            sys.exit("give one --queries file for each --index")
        missing = [key for key in ("golden",) if not (args.work / f"{key}.queries.json").exists()]
        if missing:
            sys.exit(f"{args.work}: no indexed sets; run `bench/same_results.py build {args.work}` first")
        dump(args.work, args.out, list(zip(args.index, args.queries, strict=True)))
    else:
        sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
