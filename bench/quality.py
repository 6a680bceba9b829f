"""Search quality on real questions, the product beside two plain recipes, in one run.

    .venv/bin/python bench/quality.py [--shared ../shared] [--out docs/quality.md] [--sets vue-zh,golden]

Sets (all by default; `--sets` picks some, by key, while iterating — the report
is only written for a full run unless `--out` is given):

- `vue-zh`, `vue-en`: the Vue guide's real pages (`../shared/eval/docs/*/docs`,
  indexed as they are) with hand-written questions, the acceptable section
  headings of each, and off-topic questions;
- `golden`: the starter knowledge base (articles/) with tests/golden_queries.tsv
  (expected sections included) and tests/offtopic_queries.tsv;
- `afqmc`, `banking77`: AFQMC (Chinese, Alipay 花呗/借呗 questions) and BANKING77
  (English, online banking) built with ../shared/eval/make_kb.py exactly as it
  writes them; BANKING77 also on held-out training questions;
- `tldr-zh`, `tldr-en`: a held-out check — the common tldr pages in Chinese (957) and
  English (4,612) of ../shared/corpora/tldr, written by the tldr authors, indexed as
  they are, with 40 questions each that the team wrote in its own words and 29
  off-topic ones (bench/heldout/); no ranking rule was chosen on them, and no MRR
  target is set: they show whether what holds on the sets above holds on pages nobody
  here wrote, with and without the meaning model (a first index of the 4,612 English pages with it
  takes about 13 minutes of the run).

On the same articles and queries:

- kb: the product's real path (`sync_index`, `SearchIndex.search`);
- plain recipe: jieba's `ChineseAnalyzer` in a Whoosh schema with `title` and
  `content` (questions + body), `MultifieldParser` with `OrGroup`;
- bm25s over `jieba.lcut_for_search` tokens (lower-cased) of title, questions, body.

Figures: MRR@10 and hit@1/3 by page; for kb also the answer card's section @1
(headings compared after `../shared/eval/docs/heading_rule.py`'s `norm`), the
share of in-domain questions answered with a high-confidence card, the
off-topic false-answer rate (off-topic questions given a high-confidence card),
and latency p50/p95 per query, in process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.articles import load_article  # noqa: E402
from kb.corpus import scan_article_paths  # noqa: E402
from kb.errors import ArticleError  # noqa: E402
from kb.evaluate import Found, Judgement, evaluate, plain_heading, read_off_topic, read_queries  # noqa: E402,E501
from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402

FAQ_SETS = {
    "afqmc": ("AFQMC (zh)", "afqmc_dev.jsonl"),
    "banking77": ("BANKING77 dev (en)", "banking77_train.csv"),
}
DOC_SETS = {"vue-zh": "vue-zh (docs)", "vue-en": "vue-en (docs)"}
HELD_OUT_SETS = {"tldr-zh": ("tldr common (zh, held-out)", "pages.zh"),
                 "tldr-en": ("tldr common (en, held-out)", "pages")}
SET_KEYS = ["vue-zh", "vue-en", "golden", "afqmc", "banking77", *HELD_OUT_SETS]
LISTED_PER_INTENT = 10  # make_kb.py lists the first 10 training questions of each intent


class EvalSet:
    """One knowledge base with its questions: on-topic judgements and off-topic questions."""

    def __init__(self, label: str, articles: Path, queries: list[Judgement], off_topic: list[Judgement],
                 held_out: list[Judgement] | None = None):
        self.label, self.articles, self.queries, self.off_topic = label, articles, queries, off_topic
        self.held_out = held_out


def banking77_held_out(shared: Path, dev: list[Judgement]) -> list[Judgement]:
    """BANKING77 training questions neither listed in the articles nor among the dev queries."""
    by_intent = defaultdict(list)
    with open(shared / "eval" / "data" / "banking77_train.csv", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            by_intent[row["category"]].append(" ".join(row["text"].split()))
    seen = {" ".join(judgement.query.split()) for judgement in dev}
    return [Judgement(question, frozenset({intent.replace("_", "-")})) for intent in sorted(by_intent)
            for question in by_intent[intent][LISTED_PER_INTENT:] if question not in seen]


def build_dataset(shared: Path, name: str, source: str, work: Path) -> Path:
    out = work / name
    subprocess.run([sys.executable, str(shared / "eval" / "make_kb.py"), name,
                    str(shared / "eval" / "data" / source), str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def load_set(key: str, shared: Path, work: Path) -> EvalSet:
    if key in DOC_SETS:
        folder = shared / "eval" / "docs" / key
        return EvalSet(DOC_SETS[key], folder / "docs", read_queries(folder / "queries.tsv"),
                       read_off_topic(folder / "offtopic.txt"))
    if key in HELD_OUT_SETS:
        label, pages = HELD_OUT_SETS[key]
        held = ROOT / "bench" / "heldout"
        return EvalSet(label, shared / "corpora" / "tldr" / pages / "common",
                       read_queries(held / f"{key}.tsv"), read_off_topic(held / f"{key}-offtopic.txt"))
    if key == "golden":
        tests = ROOT / "tests"
        return EvalSet("golden (starter KB)", ROOT / "articles", read_queries(tests / "golden_queries.tsv"),
                       read_off_topic(tests / "offtopic_queries.tsv"))
    label, source = FAQ_SETS[key]
    base = build_dataset(shared, key, source, work)
    queries = read_queries(base / "queries.tsv")
    held_out = banking77_held_out(shared, queries) if key == "banking77" else None
    return EvalSet(label, base / "articles", queries, [], held_out)


def chosen_sets(text: str, choices: list[str]) -> list[str]:
    """The set keys of a comma-separated `--sets` value; exits naming any not among `choices`."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in choices]
    if unknown:
        sys.exit(f"--sets: unknown set {', '.join(unknown)} (choose from {', '.join(choices)})")
    return keys


def heading_norm(shared: Path):
    """The eval data's heading rule (`heading_rule.norm`), loaded from its file, then case folded.
    The rule reads headings as written in Markdown, where it drops the `\\*` and `\\*\\*` markers
    (the Vue guide marks sections of one API style so); a card's heading is rendered text, in
    which such a marker is a bare `*`: it gets its backslash back before the rule reads it."""
    path = shared / "eval" / "docs" / "heading_rule.py"
    if not path.exists():
        return plain_heading
    spec = importlib.util.spec_from_file_location("heading_rule", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return lambda heading: plain_heading(module.norm(heading.replace("*", "\\*")))


def documents(articles: Path):
    """(id, title, questions + body) of every article, read the product's way; a page the product
    cannot read (no title) is given to the peers as its raw text."""
    for path in scan_article_paths(articles):
        try:
            article = load_article(path, articles)
        except ArticleError:
            yield path.relative_to(articles).with_suffix("").as_posix(), "", path.read_text("utf-8")
            continue
        yield article.id, article.title, "\n".join((*article.questions, article.body))


def plain_recipe(articles: Path, index_dir: Path):
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import MultifieldParser, OrGroup

    analyzer = ChineseAnalyzer()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer),
                    content=TEXT(analyzer=analyzer))
    index_dir.mkdir(parents=True)
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer()
    for article_id, title, content in documents(articles):
        writer.add_document(id=article_id, title=title, content=content)
    writer.commit()
    parser = MultifieldParser(["title", "content"], schema, group=OrGroup)
    searcher = ix.searcher()

    def search(query: str) -> list[str]:
        # Query syntax characters are stripped so user text cannot break the parser.
        parsed = parser.parse(re.sub(r"[^\w\s]", " ", query))
        return [hit["id"] for hit in searcher.search(parsed, limit=10)]

    return search


def bm25s_recipe(articles: Path):
    import bm25s
    import jieba

    def tokens(text: str) -> list[str]:
        return [t.lower() for t in jieba.lcut_for_search(text) if t.strip()]

    ids, corpus = [], []
    for article_id, title, content in documents(articles):
        ids.append(article_id)
        corpus.append(tokens(title + "\n" + content))
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)

    def search(query: str) -> list[str]:
        query_tokens = tokens(query)
        if not query_tokens:
            return []
        results, _ = retriever.retrieve([query_tokens], k=min(10, len(ids)), show_progress=False)
        return [ids[i] for i in results[0]]

    return search


def product(articles: Path, index_dir: Path, meaning: bool = False):
    sync_index(articles, index_dir, meaning=meaning)
    index = SearchIndex(index_dir)
    index.health()  # opens the index, training the question classifier, inside the timed set-up

    def search(query: str) -> Found:
        results = index.search(query, limit=10, internal=True)
        answer = (results.answers[0].article_id, results.answers[0].heading) if results.answers else None
        return Found([a.id for a in results.articles], answer, results.confidence)

    return search


def meaning_product(articles: Path, index_dir: Path):
    """The product with the meaning model on (`KB_MEANING=on`: search.passages), its passages
    embedded anew (a cache of this run's own), so that its index time is a first index's."""
    from search import passages

    passages.CACHE = index_dir.parent / "passages-cache"
    return product(articles, index_dir, meaning=True)


def measure(search, queries, same_heading) -> dict:
    for judgement in queries[:20]:  # warm caches the same way for everyone
        search(judgement.query)
    return evaluate(queries, search, same_heading).summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=None,
                        help="report file (default: docs/quality.md for a run of every set, none otherwise)")
    parser.add_argument("--sets", default=",".join(SET_KEYS),
                        help=f"comma-separated sets to run, of {', '.join(SET_KEYS)}")
    parser.add_argument("--verbose", action="store_true",
                        help="print kb's misses (by kind: page, section, card) and off-topic answers")
    args = parser.parse_args()
    keys = chosen_sets(args.sets, SET_KEYS)
    if not (args.shared / "eval" / "make_kb.py").exists():
        sys.exit(f"evaluation data not found under {args.shared}/eval")
    if any(k in HELD_OUT_SETS for k in keys) and not (args.shared / "corpora" / "tldr").is_dir():
        sys.exit(f"the tldr pages of the held-out check not found under {args.shared}/corpora/tldr")
    out = args.out or (ROOT / "docs" / "quality.md" if keys == SET_KEYS else None)
    same_heading = heading_norm(args.shared)

    work = Path(tempfile.mkdtemp(prefix="kb-quality-"))
    rows = []
    for key in keys:
        dataset = load_set(key, args.shared, work)
        systems, index_seconds = {}, {}
        for system, build, folder in (("kb", product, "index"), ("kb + meaning", meaning_product, "meaning"),
                                      ("plain recipe", plain_recipe, "plain"), ("bm25s", bm25s_recipe, None)):
            started = time.perf_counter()
            args_ = (dataset.articles, work / key / folder) if folder else (dataset.articles,)
            systems[system] = build(*args_)
            index_seconds[system] = time.perf_counter() - started
        query_sets = {dataset.label: dataset.queries + dataset.off_topic}
        if dataset.held_out:
            query_sets[dataset.label.replace(" dev", "").replace("(", "held-out (")] = dataset.held_out
        for query_label, judgements in query_sets.items():
            for system, search in systems.items():
                evaluation = None
                if args.verbose and system == "kb":
                    evaluation = evaluate(judgements, search, same_heading)
                summary = measure(search, judgements, same_heading)
                rows.append((query_label, system, summary, index_seconds[system]))
                print(f"{query_label:26} {system:13} " + figures_line(summary)
                      + f"  index {index_seconds[system]:.1f} s", flush=True)
                if evaluation is not None:
                    print_misses(evaluation)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1, 5, 15 min)")
    if out:
        write_report(out, rows, load)


def figures_line(s: dict) -> str:
    def share(value):
        return "  —  " if value is None else f"{value:.3f}"

    return (f"MRR@10 {s['mrr@10']:.3f}  hit@1 {s['hit@1']:.3f}  hit@3 {s['hit@3']:.3f}  "
            f"section@1 {share(s['section@1'])}  card {share(s['card_rate'])}  "
            f"off-topic high {share(s['off_topic_high'])}  "
            f"p50 {s['p50_ms']:.1f} ms  p95 {s['p95_ms']:.1f} ms")


def miss_kind(outcome) -> str | None:
    """Why a question missed, as the remedy differs: `page` (the first article is not a relevant
    one: article ranking), `section` (right article, wrong unit: unit ranking), `card` (right
    article first, card from another article: card choice); None when it did not miss."""
    if outcome.rank != 1:
        return "page"
    if outcome.sections and not outcome.right_section:
        return "card" if outcome.answer and outcome.answer[0] != outcome.ranked[0] else "section"
    return None


def print_misses(evaluation) -> None:
    kinds = defaultdict(int)
    for o in evaluation.outcomes:
        card = f"{o.answer[0]} › {o.answer[1]}" if o.answer else "-"
        kind = miss_kind(o)
        if kind:
            kinds[kind] += 1
            print(f"    {kind:7} rank {o.rank or '-'}  {o.confidence:4}  {o.query}  → {card}   "
                  f"[want {' '.join(sorted(o.relevant))} › {' | '.join(o.sections)}; top 3 {o.ranked[:3]}]")
    for o in evaluation.off_topic_answered():
        print(f"    OFF-TOPIC high  {o.query}  → {o.answer}")
    print(f"    misses: {dict(kinds)} (page: article ranking; section: unit ranking; card: card choice)")


PRODUCT = ("kb", "kb + meaning")  # the product as it ships (the default) and with KB_MEANING=on


def target_lines(rows) -> list[str]:
    """Issue 10 and issue 4 targets, each verdict from the figures of this run, for the product by
    default and with the meaning model on."""
    found = defaultdict(dict)
    for label, system, summary, _ in rows:
        found[label][system] = summary
    lines = []
    for system in PRODUCT:
        for label, systems in found.items():
            if system in systems:
                peers = {k: v for k, v in systems.items() if k not in PRODUCT}
                lines.append(f"- {label}, {system}: {_checks(label, systems[system], peers)}")
    return lines


def _checks(label: str, kb: dict, peers: dict) -> str:
    """The targets of one data set, checked for one of the product's rows against the peers'."""
    best = max(peers, key=lambda k: peers[k]["mrr@10"])
    best_mrr = peers[best]["mrr@10"] or 1e-9
    plain = peers["plain recipe"]["mrr@10"] or 1e-9
    checks = []
    if label.startswith("tldr"):
        checks.append(f"MRR@10 {kb['mrr@10']:.3f} = {kb['mrr@10'] / plain:.2f}× the plain recipe, "
                      f"{kb['mrr@10'] - best_mrr:+.3f} against the better peer ({best}) "
                      "(a held-out check, no target)")
    elif label.startswith("vue"):
        ratio = kb["mrr@10"] / plain
        checks.append(f"MRR@10 {kb['mrr@10']:.3f} = {ratio:.2f}× the plain recipe (target ≥ 1.3×: "
                      f"{'met' if ratio >= 1.3 else 'NOT met'})")
        checks.append(f"section@1 {kb['section@1']:.3f} (target ≥ 0.6: "
                      f"{'met' if kb['section@1'] >= 0.6 else 'NOT met'})")
    elif label.startswith("golden"):
        checks.append(f"hit@3 {kb['hit@3']:.3f} (target ≥ 0.95: "
                      f"{'met' if kb['hit@3'] >= 0.95 else 'NOT met'})")
        checks.append(f"section@1 {kb['section@1']:.3f} (target ≥ 0.9: "
                      f"{'met' if kb['section@1'] >= 0.9 else 'NOT met'})")
        checks.append(f"in-domain card rate {kb['card_rate']:.3f} (target ≥ 0.9: "
                      f"{'met' if kb['card_rate'] >= 0.9 else 'NOT met'})")
    elif label.startswith("AFQMC"):
        ratio = kb["mrr@10"] / best_mrr
        checks.append(f"MRR@10 {kb['mrr@10']:.3f} = {ratio:.2f}× the better peer ({best}) "
                      "(target ≥ 1.15×: "
                      f"{'met' if ratio >= 1.15 else 'NOT met'})")
    else:
        gain = kb["mrr@10"] - best_mrr
        checks.append(f"MRR@10 {kb['mrr@10']:.3f}, {gain:+.3f} over the better peer ({best}) "
                      f"(target ≥ +0.040: {'met' if gain >= 0.04 else 'NOT met'})")
    if kb["off_topic_high"] is not None:
        checks.append(f"off-topic high-confidence {kb['off_topic_high']:.3f} (target ≤ 0.10: "
                      f"{'met' if kb['off_topic_high'] <= 0.10 else 'NOT met'})")
    checks.append(f"p95 {kb['p95_ms']:.1f} ms (target ≤ 30 ms: "
                  f"{'met' if kb['p95_ms'] <= 30 else 'NOT met'})")
    return "; ".join(checks) + "."


def write_report(path: Path, rows, load: tuple[float, float, float] | None = None) -> None:
    lines = [
        "# Search quality",
        "",
        f"Measured {dt.date.today().isoformat()} on a 2-core machine by `bench/quality.py` "
        "(all systems in one run, same articles and queries):",
        "",
        "    .venv/bin/python bench/quality.py          # needs ../shared/eval beside the clone",
        "",
        "Data: *vue-zh* / *vue-en*: the Vue guide's real pages (116 zh, 119 en, VitePress Markdown "
        "indexed as it is) with hand-written questions (60 zh, 40 en), the acceptable section headings "
        "of each and 20 off-topic questions each (`../shared/eval/docs`). *golden*: the starter "
        "knowledge base (articles/) with tests/golden_queries.tsv (expected sections included) and "
        "tests/offtopic_queries.tsv. AFQMC dev (7,273 FAQ articles, 1,338 Chinese queries worded "
        "differently from their article) and BANKING77 (77 intents with 10 listed questions each; "
        "1,500 held-out training questions as queries), converted by `../shared/eval/make_kb.py` and "
        "used as written. *BANKING77 held-out*: every other training question (neither listed in an "
        "article nor a dev query) against the same articles, checked with the same protocol. "
        "*tldr common (held-out)*: the common tldr pages of `../shared/corpora/tldr` (957 Chinese, "
        "4,612 English; titles are command names), written by the tldr authors and indexed as they "
        "are, with 40 questions per language the team wrote in its own words and 29 off-topic "
        "questions each (everyday life, travel, money: bench/heldout/); no ranking rule was chosen on "
        "them and no MRR target is set.",
        "",
        "Columns: MRR@10, hit@1, hit@3 by page; *section@1*: the first answer card comes from an "
        "expected page under an acceptable heading (compared by the eval data's `heading_rule.py`, a "
        "`*` of the card's rendered heading read as the `\\*` marker the rule drops); *card*: share of "
        "in-domain questions answered with a "
        "high-confidence card; *off-topic high*: share of off-topic questions answered with a "
        "high-confidence card (the false-answer rate). The peers have no cards or confidence (—). "
        "*kb* is the product as it ships; *kb + meaning* the product with the meaning model on "
        "(`KB_MEANING=on`, search/passages.py), its index time that of a first index (every passage "
        "embedded; later edits embed only what changed).",
        "",
        "| data set | system | MRR@10 | hit@1 | hit@3 | section@1 | card | off-topic high | p50 ms | p95 ms "
        "| index s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def share(value):
        return "—" if value is None else f"{value:.3f}"

    for label, system, s, seconds in rows:
        lines.append(f"| {label} | {system} | {s['mrr@10']:.3f} | {s['hit@1']:.3f} | {s['hit@3']:.3f} | "
                     f"{share(s['section@1'])} | {share(s['card_rate'])} | {share(s['off_topic_high'])} | "
                     f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {seconds:.1f} |")
    lines += ["", "Against the targets of issues 10 and 4 (measured in this run):", ""]
    lines += target_lines(rows)
    lines += [
        "",
        "Peers: *plain recipe* = jieba's `ChineseAnalyzer` in a Whoosh schema with `title` and `content` "
        "(questions + body), `MultifieldParser` with `OrGroup`; *bm25s* = `bm25s` over "
        "`jieba.lcut_for_search` tokens. Latency is per query, in process"
        + (f"; the machine's load average at the end of the run was {load[0]:.1f} / {load[1]:.1f} / "
           f"{load[2]:.1f} (1 / 5 / 15 min), which every system's latency shares." if load else "."),
        "",
        "The same protocol on your own queries: `kb eval --queries FILE.tsv --articles DIR`.",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
