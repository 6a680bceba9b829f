"""Indexing and search speed on real Markdown, beside the plain recipe, in one run.

    .venv/bin/python bench/perf.py [--corpus ../shared/corpora/tldr] [--repeat 3]

Corpus: tldr-pages (English and Chinese, CC BY 4.0), copied to a temporary folder.
Peer: the plain recipe — jieba's `ChineseAnalyzer` in a two-field Whoosh schema
(title, content) with one writer — indexing the same files. Budgets (issue 2):
full `kb index` ≥ 1.5× the peer's throughput; an incremental index after editing
one file ≤ 1/5 of a full build; in-process search p95 ≤ 30 ms; `kb serve`
answering `/api/search` p95 ≤ 50 ms for single requests. Medians of `--repeat`
runs; the machine is shared, so compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import kb_serve, percentile, plain_recipe_index  # noqa: E402
from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402


def plain_recipe_searcher(index_dir: Path):
    from whoosh import index
    from whoosh.qparser import MultifieldParser, OrGroup

    ix = index.open_dir(str(index_dir))
    parser = MultifieldParser(["title", "content"], ix.schema, group=OrGroup)
    searcher = ix.searcher()

    def search(text: str):
        query = parser.parse(re.sub(r"[^\w\s]", " ", text))
        return [hit["path"] for hit in searcher.search(query, limit=10)]

    return search


def queries_from(articles: Path, n: int = 300) -> list[str]:
    """Realistic queries: command names and a few words of each page's description."""
    rng = random.Random(7)
    pages = sorted(articles.rglob("*.md"))
    queries = []
    for path in rng.sample(pages, n):
        text = path.read_text("utf-8")
        description = next((line[2:] for line in text.splitlines() if line.startswith("> ")), "")
        words = description.split()
        if rng.random() < 0.3 or not words:
            queries.append(path.stem)
        elif re.search(r"[\u4e00-\u9fff]", description):
            queries.append(description[:8])
        else:
            queries.append(" ".join(words[:4]))
    return queries


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def serve_latencies(articles: Path, index_dir: Path, queries: list[str]) -> list[float]:
    with kb_serve(articles, index_dir) as base:
        for query in queries[:20]:  # warm-up
            urllib.request.urlopen(f"{base}/api/search?q={urllib.parse.quote(query)}", timeout=10).read()
        latencies = []
        for query in queries:
            started = time.perf_counter()
            url = f"{base}/api/search?q={urllib.parse.quote(query)}"
            body = urllib.request.urlopen(url, timeout=10).read()
            latencies.append(time.perf_counter() - started)
            json.loads(body)
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "tldr")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus not found: {args.corpus}")

    work = Path(tempfile.mkdtemp(prefix="kb-perf-"))
    articles = work / "articles"
    for part in ("pages", "pages.zh"):
        shutil.copytree(args.corpus / part, articles / part)
    files = len(list(articles.rglob("*.md")))
    print(f"corpus: {files} Markdown files from {args.corpus} ({os.cpu_count()} cores)")

    product_full, peer_full = [], []
    for _ in range(args.repeat):
        peer_full.append(timed(plain_recipe_index, articles, work / "plain"))
        product_full.append(timed(sync_index, articles, work / "index", True))
    product, peer = statistics.median(product_full), statistics.median(peer_full)

    incremental = []
    target = sorted(articles.rglob("*.md"))[len(product_full) * 101 % files]
    for n in range(args.repeat):
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"\n- Edited for the benchmark ({n}).\n")
        incremental.append(timed(sync_index, articles, work / "index"))
    edit = statistics.median(incremental)

    queries = queries_from(articles)
    index = SearchIndex(work / "index")
    for query in queries[:20]:
        index.search(query)
    ours = [timed(index.search, q) for q in queries]
    plain_search = plain_recipe_searcher(work / "plain")
    theirs = [timed(plain_search, q) for q in queries]
    served = serve_latencies(articles, work / "index", queries)

    ms = 1000
    rows = [
        ("full index, kb (median s)", f"{product:.2f}", f"{files / product:.0f} files/s"),
        ("full index, plain recipe (median s)", f"{peer:.2f}", f"{files / peer:.0f} files/s"),
        ("throughput ratio kb / plain", f"{peer / product:.2f}×", "budget ≥ 1.5×"),
        ("incremental index after one edit (median s)", f"{edit:.2f}",
         f"{edit / product:.2f} of a full build (budget ≤ 0.20)"),
        ("search in-process p50 / p95 (ms)",
         f"{percentile(ours, 50) * ms:.1f} / {percentile(ours, 95) * ms:.1f}", "budget p95 ≤ 30 ms"),
        ("plain recipe search p50 / p95 (ms)",
         f"{percentile(theirs, 50) * ms:.1f} / {percentile(theirs, 95) * ms:.1f}", "for comparison"),
        ("kb serve /api/search p50 / p95 (ms)",
         f"{percentile(served, 50) * ms:.1f} / {percentile(served, 95) * ms:.1f}", "budget p95 ≤ 50 ms"),
    ]
    print(f"\n| measure ({len(queries)} queries, {args.repeat} runs) | value | note |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
