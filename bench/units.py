"""Why the answer card is wrong when the page is right: the unit choice, question by question.

    .venv/bin/python bench/units.py [--shared ../shared] [--sets vue-zh,vue-en,golden] [--all]

For every judged question of the sets that have expected sections (the Vue guide in
both languages, the golden file) whose first article is a right page but whose first
answer card is not under an acceptable heading, it prints the card, the expected
headings, the question's words with their weights, and the evidence each unit of the
top article had (`search.evidence`'s unit choice: its value, its coverage with the
article's context, its own word score, and which of the question's words it holds in
its heading, its path — the headings above it — and its text), then sorts the misses
into classes, so that the rule behind the largest class is the one worked on:

- `other article`: the card came from another of the first articles (the card rule);
- `no unit`: no expected heading is a unit of the page (a heading with no text of its own);
- `granularity`: the expected unit is a parent or child section of the chosen one;
- `overview`: the expected or the chosen unit is the page's overview (before the first heading);
- `vocabulary`: the expected unit holds less than half as much of the question by its own
  words (heading, path, text; the page title's words left out) as the chosen one: the words
  differ (a synonym, another language, a paraphrase);
- `near tie`: the two units' values differ by less than 0.03;
- `heading vs text`: the chosen unit has a word of the question in its heading that the
  expected one has only in its text, or not at all;
- `other`.

It searches through the product's path (`search.ranking`), on indexes built from the
sets as `bench/quality.py` builds them; nothing here changes what the product does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.quality import chosen_sets, heading_norm, load_set  # noqa: E402
from search import evidence, ranking  # noqa: E402
from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402

SETS = ["vue-zh", "vue-en", "golden"]
NEAR_TIE = 0.03


class Explainer:
    """One index searched through the product's path, with the unit evidence behind its cards."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.config = index.config or ranking.DEFAULT_CONFIG

    def explain(self, text: str) -> tuple[list[str], dict | None, list[dict]]:
        """(ranked article ids, the first card {article, heading}, the units of the top article with
        their evidence, best first)."""
        state, config = self.index._current(), self.config
        parsed, _, derived, ranked = ranking.ranked_query(state, text, None, None, True, config)
        docnums, _ = ranked.top(10, derived.order)
        ids = [derived.ids[int(d)] for d in docnums]
        results = self.index.search(text, limit=10, internal=True)
        card = ({"article": results.answers[0].article_id, "heading": results.answers[0].heading}
                if results.answers else None)
        if not len(docnums):
            return ids, card, []
        top = int(docnums[0])
        children = derived.docs.children(top)
        if not len(children):
            return ids, card, []
        units = ranked.units
        value, covered, own = units.choice(children)
        words = [" ".join(c.alternatives[0][0]) for c in parsed.concepts]
        title = units.space.at(units.field_rows("title"), np.array([top]))[:, 0] > 0
        record = state.catalog[derived.ids[top]]
        levels = {s["anchor"]: s["level"] for s in record["sections"]}
        order = [s["anchor"] for s in record["sections"]]
        rows = []
        for n, unit in enumerate(children):
            unit = int(unit)
            data = state.searcher.stored_fields(unit)["data"]
            one = np.array([unit])
            found = {}
            for field, name in (("u_heading", "in_heading"), ("u_path", "in_path"), ("u_text", "in_text")):
                if units.unit_space.members(one).any():
                    hits = units.unit_space.at(units.unit_rows(field), one)[:, 0] > 0
                else:
                    hits = np.zeros(len(words), dtype=bool)
                found[name] = hits
            rows.append({"heading": data["heading"], "anchor": data["anchor"], "value": float(value[n]),
                         "coverage": float(covered[n]), "own": float(own[n]),
                         "length": len(data["text"]), "level": levels.get(data["anchor"], 1), **found})
        rows.sort(key=lambda row: -row["value"])
        context = {"words": words, "weights": units.weights, "groups": units.groups, "title": title,
                   "ancestors": _ancestors(record["sections"]), "order": order}
        for row in rows:
            row["context"] = context
        return ids, card, rows


def _ancestors(sections: list[dict]) -> dict[str, list[str]]:
    """Per section anchor: the anchors of the sections it sits under."""
    chain: list[tuple[str, int]] = []
    out = {}
    for section in sections:
        while chain and chain[-1][1] >= section["level"]:
            chain.pop()
        out[section["anchor"]] = [anchor for anchor, _ in chain]
        chain.append((section["anchor"], section["level"]))
    return out


def _own_words(row: dict) -> float:
    """The share of the question the unit holds by its own words, the page title's words left out."""
    context = row["context"]
    held = (row["in_heading"] | row["in_path"] | row["in_text"]) & ~context["title"]
    return float(evidence.coverage(held[:, None], context["weights"], context["groups"])[0])


def classify(card: dict, top: str, chosen: dict | None, wanted: list[dict]) -> str:
    if card["article"] != top:
        return "other article"
    if chosen is None or not wanted:
        return "no unit"
    ancestors = chosen["context"]["ancestors"]
    for row in wanted:
        if (chosen["anchor"] in ancestors.get(row["anchor"], [])
                or row["anchor"] in ancestors.get(chosen["anchor"], [])):
            return "granularity"
    if any(row["anchor"] not in ancestors for row in [chosen, *wanted]):
        return "overview"
    best = max(wanted, key=lambda row: row["value"])
    if _own_words(best) < 0.5 * _own_words(chosen):
        return "vocabulary"
    if chosen["value"] - best["value"] < NEAR_TIE:
        return "near tie"
    title = chosen["context"]["title"]
    if (chosen["in_heading"] & ~title & ~best["in_heading"]).any():
        return "heading vs text"
    return "other"


def describe(row: dict, mark: str) -> str:
    words = row["context"]["words"]
    parts = []
    for name in ("heading", "path", "text"):
        held = [words[n] for n in np.flatnonzero(row[f"in_{name}"])]
        if held:
            parts.append(f"{name} {' '.join(held)}")
    return (f"  {mark} {row['value']:.3f}  cov {row['coverage']:.2f}  own {row['own']:6.2f}  "
            f"h{row['level']} {row['length']:5} ch  {row['heading'][:50]:50}  {' · '.join(parts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--all", action="store_true", help="print every unit of the page, not only the "
                        "first four and the expected ones")
    args = parser.parse_args()
    keys = chosen_sets(args.sets, SETS)
    same = heading_norm(args.shared)
    work = Path(tempfile.mkdtemp(prefix="kb-units-"))
    summary = {}
    for key in keys:
        dataset = load_set(key, args.shared, work)
        sync_index(dataset.articles, work / key)
        explainer = Explainer(SearchIndex(work / key))
        classes: Counter = Counter()
        judged = right = 0
        for judgement in dataset.queries:
            if not judgement.sections:
                continue
            judged += 1
            ids, card, rows = explainer.explain(judgement.query)
            acceptable = {same(h) for h in judgement.sections}
            if card and card["article"] in judgement.relevant and same(card["heading"]) in acceptable:
                right += 1
                continue
            if not ids or ids[0] not in judgement.relevant or card is None:
                continue  # the page is wrong: article ranking, not the unit choice
            chosen = next((row for row in rows if same(row["heading"]) == same(card["heading"])), None)
            wanted = [row for row in rows if same(row["heading"]) in acceptable]
            kind = classify(card, ids[0], chosen, wanted)
            classes[kind] += 1
            print(f"\n## [{key}] {judgement.query}   — {kind}")
            print(f"   card: {card['article']} › {card['heading']}   want: {' | '.join(judgement.sections)}")
            if rows:
                context = rows[0]["context"]
                print("   words: " + "  ".join(
                    f"{word} {weight:.2f}{' (title)' if title else ''}"
                    for word, weight, title in zip(context["words"], context["weights"], context["title"],
                                                   strict=True)))
            for n, row in enumerate(rows):
                mark = "*" if row in wanted else (">" if row is chosen else " ")
                if args.all or n < 4 or mark != " ":
                    print(describe(row, mark))
        summary[key] = (right, judged, classes)
    print("\nsection@1 and the wrong cards under a right page, by class:")
    for key, (right, judged, classes) in summary.items():
        listed = ", ".join(f"{kind} {count}" for kind, count in classes.most_common())
        print(f"  {key:8} section@1 {right}/{judged} = {right / max(1, judged):.3f};  {listed or 'none'}")


if __name__ == "__main__":
    main()
