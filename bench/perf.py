"""Indexing and search speed on real Markdown, beside the plain recipe, in one run.

    .venv/bin/python bench/perf.py [--corpus ../shared/corpora/tldr] [--repeat 3]
    .venv/bin/python bench/perf.py --startup [--repeat 5]

Corpus: tldr-pages (English and Chinese, CC BY 4.0), copied to a temporary folder.
Peer: the plain recipe — jieba's `ChineseAnalyzer` in a two-field Whoosh schema
(title, content) with one writer — indexing the same files. Budgets (issue 2):
full `kb index` ≥ 1.5× the peer's throughput; an incremental index after editing
one file ≤ 1/5 of a full build; in-process search p95 ≤ 30 ms; `kb serve`
answering `/api/search` p95 ≤ 50 ms for single requests. Medians of `--repeat`
runs; the machine is shared, so compare ratios from one run.

`--startup` measures instead what a user waits for at the command line on the starter
knowledge base (`articles/`, copied): `kb search`, `kb check` and `kb index` after a
one-line edit, each as a whole process (wall time and peak RSS), beside a peer in the
same run — `python -c "import whoosh"`, the least any Whoosh-based tool pays, and
loading jieba's dictionary, the least any jieba-based one pays — and what importing
the search package costs (`-X importtime`). Budget (issue 14): each
command ≤ 1.0 s, `kb search` ≤ 150 MB.

With the corpus present, `--startup` then measures `kb serve --workers 2` on a built index of
it (tldr: 8,961 pages): the time from starting the command to its first `/api/search` answer
(budget ≤ 2 s), and to the first answer that holds a page edited while the server was
stopped (the start-up sync runs in the background), with the start-up sync's own time from
the server's log; beside the peer that `kb serve` used to run before serving, `kb index` on
the unchanged index (a whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
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


def process_cost(command: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one whole process.

    The peak comes from GNU time: a child forked from this (larger) process would report
    this process's pages as its own peak."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        code = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%M", *command], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        seconds = time.perf_counter() - started
        if code not in (0, 1):  # 1: `kb check` found warnings or errors
            sys.exit(f"{' '.join(command)} failed with {code}")
        return seconds, int(report.read().split()[-1]) / 1024


def import_seconds(module: str, env: dict) -> float:
    """Cumulative import time of `module` in a fresh process, as `-X importtime` reports it."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, env=env, cwd=ROOT, check=True).stderr
    line = next(line for line in reversed(out.splitlines()) if line.rstrip().endswith(f"| {module}"))
    return int(line.split("|")[1]) / 1e6


def startup(repeat: int) -> None:
    """The start-up table of `--startup` (see the module doc)."""
    work = Path(tempfile.mkdtemp(prefix="kb-startup-"))
    articles, index_dir = work / "articles", work / "index"
    shutil.copytree(ROOT / "articles", articles)
    env = {**os.environ, "KB_ARTICLES": str(articles), "KB_INDEX": str(index_dir)}
    kb = [str(Path(sys.executable).with_name("kb"))]
    first_index = process_cost([*kb, "index"], env)
    target = sorted(articles.rglob("*.md"))[0]
    commands = {
        "`kb search 退款`": lambda n: [*kb, "search", "退款"],
        "`kb search \"card declined\"`": lambda n: [*kb, "search", "card declined"],
        "`kb check`": lambda n: [*kb, "check"],
        "`kb index` after a one-line edit": lambda n: [*kb, "index"],
        "peer: `python -c \"import whoosh\"`": lambda n: [sys.executable, "-c", "import whoosh"],
        "peer: jieba's dictionary loaded (`jieba.initialize()`)": lambda n: [
            sys.executable, "-c", "import jieba; jieba.setLogLevel(60); jieba.initialize()"],
    }
    costs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for n in range(repeat):
        for name, command in commands.items():
            if name.startswith("`kb index`"):
                with target.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n一行新内容 {n}。\n")
            costs[name].append(process_cost(command(n), env))
    imports = statistics.median(import_seconds("search.searcher", env) for _ in range(repeat))
    print(f"\n| command (starter KB, {sum(1 for _ in articles.rglob('*.md'))} files; median of {repeat}, "
          f"load {os.getloadavg()[0]:.1f}) | wall (s) | peak RSS (MB) | budget |\n|---|---|---|---|")
    print(f"| first `kb index` (full build) | {first_index[0]:.2f} | {first_index[1]:.0f} | — |")
    for name, values in costs.items():
        budget = "≤ 1.0 s, ≤ 150 MB" if "search" in name else "—" if "peer" in name else "≤ 1.0 s"
        print(f"| {name} | {statistics.median(v[0] for v in values):.2f} | "
              f"{statistics.median(v[1] for v in values):.0f} | {budget} |")
    print(f"| importing `search.searcher` (`-X importtime`) | {imports:.2f} | — | — |")
    shutil.rmtree(work, ignore_errors=True)


SYNC_LINE = re.compile(r"start-up index sync \((\w+)\).* in ([\d.]+)s")


def serve_startup(corpus: Path, repeat: int) -> None:
    """The `kb serve` rows of `--startup` (see the module doc)."""
    work = Path(tempfile.mkdtemp(prefix="kb-serve-startup-"))
    articles, index_dir = work / "articles", work / "index"
    for part in ("pages", "pages.zh"):
        shutil.copytree(corpus / part, articles / part)
    files = sorted(articles.rglob("*.md"))
    env = {**os.environ, "KB_ARTICLES": str(articles), "KB_INDEX": str(index_dir),
           "KB_RATE_LIMIT": "1000000 per second"}
    kb = str(Path(sys.executable).with_name("kb"))
    build = process_cost([kb, "index"], env)
    first, fresh, synced, peer = [], [], [], []
    for n in range(repeat):
        peer.append(process_cost([kb, "index"], env)[0])  # unchanged: what the old start-up ran first
        word = "zorblax" + "abcdefghij"[n % 10] * 3  # in no page
        with files[(n * 997) % len(files)].open("a", encoding="utf-8") as handle:
            handle.write(f"\n- Edited while the server was stopped: `{word}`\n")
        started_first, started_fresh, sync = _serve_once(kb, env, word, work / f"serve-{n}.log")
        first.append(started_first)
        fresh.append(started_fresh)
        synced.append(sync)
    load = os.getloadavg()[0]
    print(f"\n| `kb serve --workers 2` on {len(files):,} pages ({corpus.name}), built index; median of "
          f"{repeat}, load {load:.1f} | seconds | budget |\n|---|---|---|")
    print(f"| first `kb index` (full build, whole process) | {build[0]:.2f} | — |")
    print(f"| start → first `/api/search` answer | {statistics.median(first):.2f} | ≤ 2 s |")
    print(f"| start → a page edited while stopped is served | {statistics.median(fresh):.2f} | — |")
    print(f"| the start-up index sync itself (server log, in the background) | "
          f"{statistics.median(synced):.2f} | — |")
    print(f"| peer: `kb index` on the unchanged index (the sync `kb serve` ran before serving until now) | "
          f"{statistics.median(peer):.2f} | — |")
    shutil.rmtree(work, ignore_errors=True)


def _serve_once(kb: str, env: dict, word: str, log_path: Path) -> tuple[float, float, float]:
    """(seconds to the first /api/search answer, to the first answer finding `word`, of the
    start-up sync as logged) of one `kb serve --workers 2`."""
    from bench.common import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}/api/search?q="
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen([kb, "serve", "--workers", "2", "--port", str(port)], env=env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            first = fresh = None
            deadline = started + 300
            while fresh is None and time.perf_counter() < deadline:
                query = word if first is not None else "tar"
                try:
                    body = urllib.request.urlopen(base + urllib.parse.quote(query), timeout=30).read()
                except OSError:
                    if process.poll() is not None:
                        sys.exit(f"kb serve exited with {process.returncode}; see {log_path}")
                    time.sleep(0.02)
                    continue
                if first is None:
                    first = time.perf_counter() - started
                elif json.loads(body)["total"]:
                    fresh = time.perf_counter() - started
                else:
                    time.sleep(0.1)
            sync = None
            while sync is None and time.perf_counter() < deadline:
                found = SYNC_LINE.search(log_path.read_text("utf-8", errors="replace"))
                if found:
                    sync = float(found.group(2))
                else:
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=30)
    if first is None or fresh is None or sync is None:
        sys.exit(f"kb serve did not answer in time; see {log_path}")
    return first, fresh, sync


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "tldr")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--startup", action="store_true", help="measure command start-up on articles/ only")
    args = parser.parse_args()
    if args.startup:
        startup(args.repeat)
        if args.corpus.is_dir():
            serve_startup(args.corpus, args.repeat)
        else:
            print(f"\n`kb serve` start-up not measured: corpus not found: {args.corpus}")
        return
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
