"""The cost curve: what indexing, opening, searching and serving cost at 1k to 100k articles.

    .venv/bin/python bench/scale.py [--sizes 1000,10000,30000,100000] [--resume] [--queries 300]

Knowledge bases of real text only, the first N articles of one fixed sequence (so each
size holds the smaller ones): every real page we have, shuffled — the tldr pages
(English and Chinese, `../shared/corpora/tldr`), the AFQMC and BANKING77 FAQ articles
(written by `../shared/eval/make_kb.py`) and the Vue documentation pages
(`../shared/eval/docs`) — 16,546 articles; past that, combinations of them: a
real FAQ question as the title, two more as `questions:`, and the body of a tldr page of
the same language. Queries are the real user questions of the two FAQ sets and words
of tldr pages, the same 300 at every size.

For each size, every figure comes from whole processes, as a user runs them:
full `kb index --rebuild` beside the plain recipe (jieba's ChineseAnalyzer, two Whoosh
fields, one writer) indexing the same files; `kb index` after editing one file; a
fresh process opening the index and answering its first search; search p50/p95 in that
process; `kb serve --workers 2` answering its first search and each worker's memory
after 200 searches (RSS, and PSS: shared pages divided among the processes sharing
them); and the index's size on disk.

Each size's results are saved in `docs/performance-scale.json` as soon as they are
measured, so a long run can be stopped and resumed (`--resume` skips measured sizes);
the knowledge bases are kept in `--work` (default `.kb/bench-scale`) for the next run.
Every run rewrites the cost-curve section of `docs/performance.md` (between its
markers; the rest of the file is left alone) and the plot `docs/performance-scale.png`
(matplotlib, a bench dependency only) from all saved sizes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
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

from bench.common import kb_serve_process, percentile, plain_recipe_index  # noqa: E402

SHARED = ROOT.parent / "shared"
SIZES = (1000, 10000, 30000, 100000)
RESULTS = ROOT / "docs" / "performance-scale.json"
PLOT = ROOT / "docs" / "performance-scale.png"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- scale.py: begin -->", "<!-- scale.py: end -->"
KB_VERSION = "1"  # bump when the article sequence changes: cached knowledge bases are rebuilt
SEED = 14


# -- the articles ------------------------------------------------------------------------------
def real_articles(sources: Path) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of every real page, in a fixed shuffled order."""
    tldr = SHARED / "corpora" / "tldr"
    items = [(f"tldr/{p.relative_to(tldr).as_posix()}", p.read_bytes())
             for part in ("pages", "pages.zh") for p in sorted((tldr / part).rglob("*.md"))]
    for name in ("afqmc", "banking77"):
        folder = faq_set(name, sources)
        items += [(f"faq-{name}/{p.name}", p.read_bytes())
                  for p in sorted((folder / "articles").glob("*.md"))]
    for site in ("vue-zh", "vue-en"):
        docs = SHARED / "eval" / "docs" / site / "docs"
        items += [(f"docs-{site}/{p.relative_to(docs).as_posix()}", p.read_bytes())
                  for p in sorted(docs.rglob("*.md"))]
    random.Random(SEED).shuffle(items)
    return items


def faq_set(name: str, sources: Path) -> Path:
    """`make_kb.py`'s output for one FAQ set (articles/ and queries.tsv), written once."""
    out = sources / name
    if not (out / "queries.tsv").exists():
        data = {"afqmc": "afqmc_dev.jsonl", "banking77": "banking77_train.csv"}[name]
        subprocess.run([sys.executable, str(SHARED / "eval" / "make_kb.py"), name,
                        str(SHARED / "eval" / "data" / data), str(out)],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def sentences(sources: Path) -> dict[str, list[str]]:
    """Real customer questions by language: AFQMC's (zh) and BANKING77's (en)."""
    zh = sorted({line.split("\t")[0] for line in (faq_set("afqmc", sources) / "queries.tsv")
                 .read_text("utf-8").splitlines()}
                | {_front_matter_title(p) for p in (faq_set("afqmc", sources) / "articles").glob("*.md")})
    with open(SHARED / "eval" / "data" / "banking77_train.csv", encoding="utf-8") as handle:
        en = sorted({row["text"].strip() for row in csv.DictReader(handle)})
    return {"zh": zh, "en": en}


def _front_matter_title(path: Path) -> str:
    match = re.search(r'^title: (".*")$', path.read_text("utf-8"), re.M)
    return json.loads(match.group(1)) if match else ""


def combined_articles(count: int, sources: Path):
    """`count` articles, each a real question (title), two more (questions) and a tldr body."""
    tldr = SHARED / "corpora" / "tldr"
    bodies = {"en": sorted((tldr / "pages").rglob("*.md")), "zh": sorted((tldr / "pages.zh").rglob("*.md"))}
    pools = sentences(sources)
    for k in range(count):
        lang = "zh" if k % 2 else "en"
        pool, pages = pools[lang], bodies[lang]
        n = k // 2
        title, *questions = (pool[(n * 7919 + i * 104729) % len(pool)] for i in range(3))
        body = pages[(n * 31 + n // len(pages)) % len(pages)].read_text("utf-8")
        body = re.sub(r"\A# .*\n", "", body)  # the page's own title gives way to the question
        front = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"lang: {lang}", "questions:",
                 *(f"  - {json.dumps(q, ensure_ascii=False)}" for q in questions), "---", ""]
        yield f"mix/{k // 1000:03d}/{k:06d}.md", ("\n".join(front) + body).encode("utf-8")


def knowledge_base(size: int, work: Path) -> Path:
    """The articles folder of `size` articles, written once and kept in `work`."""
    folder = work / f"kb-{size}"
    marker = folder / "complete"
    if marker.exists() and marker.read_text() == KB_VERSION:
        return folder / "articles"
    shutil.rmtree(folder, ignore_errors=True)
    sources = work / "sources"
    real = real_articles(sources)
    items = real[:size] + list(combined_articles(max(0, size - len(real)), sources))
    for relpath, data in items:
        path = folder / "articles" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    marker.write_text(KB_VERSION)
    return folder / "articles"


def queries(work: Path, n: int) -> list[str]:
    """The same `n` real queries at every size: FAQ users' questions and tldr words, a third each."""
    rng = random.Random(SEED)
    sources = work / "sources"
    out = []
    for name in ("afqmc", "banking77"):
        lines = (faq_set(name, sources) / "queries.tsv").read_text("utf-8").splitlines()
        out += [line.split("\t")[0] for line in rng.sample(lines, n // 3)]
    pages = sorted((SHARED / "corpora" / "tldr").rglob("*.md"))
    for path in rng.sample(pages, n - len(out)):
        description = next((line[2:] for line in path.read_text("utf-8").splitlines()
                            if line.startswith("> ")), "")
        out.append(path.stem if rng.random() < 0.3 or not description
                   else description[:8] if re.search(r"[\u4e00-\u9fff]", description)
                   else " ".join(description.split()[:4]))
    return out


# -- measuring -----------------------------------------------------------------------------------
def run(command: list[str]) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS in MB, stdout, CPU seconds) of one whole process and the processes it
    waited for; fails loudly. CPU time hardly depends on what else the machine runs; wall time does."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode not in (0, 1):  # kb index exits 1 when some file failed: still measured
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: "
                               f"{err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode(), usage.ru_utime + usage.ru_stime


def kb(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "kb"), *args]


def index_size_mb(index_dir: Path) -> float:
    generation = (index_dir / "current").resolve()
    return sum(p.stat().st_size for p in generation.iterdir() if p.is_file()) / 2**20


def memory_of(pid: int) -> dict[str, float]:
    """RSS and PSS of one process, in MB (from /proc)."""
    figures = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss"):
            figures[key.lower()] = int(value.split()[0]) / 1024
    return figures


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def measure_size(size: int, work: Path, query_list: list[str], save) -> dict:
    """Measure one size; `save(row)` after each step, so a stopped run keeps what it measured."""
    articles = knowledge_base(size, work)
    files = sum(1 for _ in articles.rglob("*.md"))
    index_dir, plain_dir = work / f"kb-{size}" / "index", work / f"kb-{size}" / "plain"
    repeat = 3 if size <= 10000 else 1
    print(f"\n== {size} articles ({files} files in {articles}); {repeat} run(s) of each measure",
          flush=True)
    row = {"articles": files, "runs": repeat, "partial": True, "commit": _commit()}

    full, plain, full_cpu, plain_cpu, peak = [], [], [], [], 0.0
    for _ in range(repeat):  # kb first: at the largest sizes its figures are saved before the peer's
        seconds, rss, summary, cpu = run(kb("index", "--rebuild", "--articles", str(articles), "--index",
                                            str(index_dir)))
        full.append(seconds)
        full_cpu.append(cpu)
        peak = max(peak, rss)
        row.update(full_s=statistics.median(full), full_cpu_s=round(statistics.median(full_cpu), 1),
                   full_peak_rss_mb=round(peak), index_mb=round(index_size_mb(index_dir), 1))
        save(row)
        print(f"  full: kb {seconds:.1f} s, {cpu:.1f} s CPU ({summary.strip().splitlines()[-1]})", flush=True)
        seconds, _, _, cpu = run([sys.executable, __file__, "--child-plain-index", str(articles),
                                  str(plain_dir)])
        plain.append(seconds)
        plain_cpu.append(cpu)
        row.update(plain_s=statistics.median(plain), plain_cpu_s=round(statistics.median(plain_cpu), 1))
        save(row)
        print(f"  full: plain recipe {seconds:.1f} s, {cpu:.1f} s CPU", flush=True)
    shutil.rmtree(plain_dir, ignore_errors=True)

    target = sorted(articles.rglob("*.md"))[size // 2]
    original = target.read_bytes()
    incremental, incremental_cpu = [], []
    try:
        for n in range(repeat):
            target.write_bytes(original + f"\n\n- Edited for the benchmark ({n}).\n".encode())
            seconds, _, _, cpu = run(kb("index", "--articles", str(articles), "--index", str(index_dir)))
            incremental.append(seconds)
            incremental_cpu.append(cpu)
    finally:
        target.write_bytes(original)  # `kb serve` below indexes it back as it starts
    row.update(incremental_s=statistics.median(incremental),
               incremental_cpu_s=round(statistics.median(incremental_cpu), 2))
    save(row)
    print(f"  incremental after one edit: {row['incremental_s']:.2f} s", flush=True)

    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(query_list, ensure_ascii=False), "utf-8")
    out = run([sys.executable, __file__, "--child-search", str(index_dir), str(queries_file)])[2]
    row.update(json.loads(out.strip().splitlines()[-1]))
    save(row)
    print(f"  fresh process: imports {row['import_s']:.2f} s, open + first search "
          f"{row['open_s']:.2f} s, p50/p95 {row['p50_ms']:.1f}/{row['p95_ms']:.1f} ms, "
          f"RSS {row['rss_mb']:.0f} MB", flush=True)

    row.update(measure_serve(articles, index_dir, query_list))
    print(f"  kb serve --workers 2: first search {row['first_search_s']:.1f} s after start; workers "
          f"RSS {row['worker_rss_mb']} MB, PSS {row['worker_pss_mb']} MB", flush=True)
    row.update(partial=False, measured=dt.datetime.now().isoformat(timespec="minutes"),
               load=round(os.getloadavg()[0], 1))
    save(row)
    return row


def measure_serve(articles: Path, index_dir: Path, query_list: list[str]) -> dict:
    started = time.perf_counter()
    with kb_serve_process(articles, index_dir, "--workers", "2", "--no-watch") as (base, process):
        get(base, query_list[0])
        first = time.perf_counter() - started
        for query in query_list[:200]:
            get(base, query)
        workers = [memory_of(pid) for pid in children(process.pid)]
    return {"first_search_s": round(first, 2),
            "worker_rss_mb": [round(w["rss"]) for w in workers],
            "worker_pss_mb": [round(w["pss"]) for w in workers]}


def get(base: str, query: str) -> None:
    urllib.request.urlopen(f"{base}/api/search?q={urllib.parse.quote(query)}", timeout=120).read()


def _commit() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


def child_search(index_dir: str, queries_file: str) -> None:
    """In a fresh process: import, open the index and answer the first query, then time the rest."""
    started = time.perf_counter()
    from search.searcher import SearchIndex

    imported = time.perf_counter()
    query_list = json.loads(Path(queries_file).read_text("utf-8"))
    index = SearchIndex(Path(index_dir))
    index.search(query_list[0])
    opened = time.perf_counter()
    for query in query_list[:20]:
        index.search(query)
    latencies = []
    for query in query_list:
        t = time.perf_counter()
        index.search(query)
        latencies.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"import_s": round(imported - started, 3), "open_s": round(opened - imported, 3),
                      "p50_ms": round(percentile(latencies, 50), 2),
                      "p95_ms": round(percentile(latencies, 95), 2),
                      "rss_mb": round(memory_of(os.getpid())["rss"])}))


# -- reporting -----------------------------------------------------------------------------------
def growth(rows: list[dict], key) -> list[float]:
    """The exponent b of cost ∝ articles^b between each pair of neighbouring sizes measured."""
    points = [(r["articles"], _value(key, r)) for r in rows if _value(key, r) is not None]
    return [math.log(v2 / v1) / math.log(n2 / n1)
            for (n1, v1), (n2, v2) in zip(points, points[1:], strict=False) if v1 > 0 and v2 > 0]


def _value(key, row: dict) -> float | None:
    try:
        return key(row)
    except KeyError:
        return None


MEASURES = [  # (name, value of a row, unit)
    ("full `kb index`", lambda r: r["full_s"], "s"),
    ("full, plain recipe", lambda r: r["plain_s"], "s"),
    ("incremental after one edit", lambda r: r["incremental_s"], "s"),
    ("open + first search (fresh process)", lambda r: r["open_s"], "s"),
    ("search p95 in process", lambda r: r["p95_ms"], "ms"),
    ("RSS per `kb serve` worker", lambda r: max(r["worker_rss_mb"]), "MB"),
    ("index on disk", lambda r: r["index_mb"], "MB"),
]


def report(results: dict[str, dict]) -> str:
    rows = [results[k] for k in sorted(results, key=int)]
    lines = [
        "| articles | full `kb index` | plain recipe | kb / plain throughput | incremental, one edit "
        "| open + first search | search p50 / p95 | one searching process (RSS) | `kb serve` first search "
        "| RSS / PSS per worker | index on disk | full build peak RSS | measured (load) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| " + " | ".join(_cells(r)) + " |")
    sizes = [f"{a['articles'] // 1000}k" for a in rows]
    lines += ["", "Growth with the number of articles: the exponent *b* of cost ∝ articles^*b* from each "
              f"size to the next ({' → '.join(sizes)}); 1 is linear, 0 flat. Fixed costs (starting "
              "Python, loading models) flatten the small end, so the last step says most:", ""]
    for name, key, _unit in MEASURES:
        slopes = growth(rows, key)
        if slopes:
            b = slopes[-1]
            kind = ("flat" if b < 0.3 else "sub-linear" if b < 0.85 else "linear" if b < 1.15
                    else "super-linear")
            lines.append(f"- {name}: *b* = {', '.join(f'{s:.2f}' for s in slopes)} ({kind} at the top)")
    return "\n".join(lines)


def _cells(r: dict) -> list[str]:
    """One size's row of the table; — where a stopped run did not measure it."""
    return [
        f"{r['articles']:,}",
        _cell(lambda: f"{r['full_s']:.1f} s" + _cpu(r, "full_cpu_s")),
        _cell(lambda: f"{r['plain_s']:.1f} s" + _cpu(r, "plain_cpu_s")),
        _cell(lambda: f"**{r['plain_s'] / r['full_s']:.2f}×**"),
        _cell(lambda: f"{r['incremental_s']:.2f} s = {r['incremental_s'] / r['full_s']:.2f} of full"
                      + _cpu(r, "incremental_cpu_s")),
        _cell(lambda: f"{r['open_s']:.2f} s"),
        _cell(lambda: f"{r['p50_ms']:.1f} / **{r['p95_ms']:.1f} ms**"),
        _cell(lambda: f"{r['rss_mb']} MB"),
        _cell(lambda: f"{r['first_search_s']:.1f} s"),
        _cell(lambda: f"{' + '.join(map(str, r['worker_rss_mb']))} / "
                      f"{' + '.join(map(str, r['worker_pss_mb']))} MB"),
        _cell(lambda: f"{r['index_mb']:.0f} MB"),
        _cell(lambda: f"{r['full_peak_rss_mb']} MB"),
        "not finished" if r.get("partial") else f"{r['measured']} `{r['commit']}` ({r['load']})",
    ]


def _cpu(row: dict, key: str) -> str:
    return f" ({row[key]:.1f} s CPU)" if key in row else ""


def _cell(text) -> str:
    """A table cell, or — where a stopped run did not measure it."""
    try:
        return text()
    except KeyError:
        return "—"


def write_doc(results: dict[str, dict]) -> None:
    section = (f"{BEGIN}\n<!-- written by bench/scale.py from {RESULTS.name}; "
               "edit outside the markers -->\n\n"
               f"{report(results)}\n\n![cost curve]({PLOT.name})\n{END}")
    text = DOC.read_text("utf-8") if DOC.exists() else "# Performance\n\n" + section + "\n"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    DOC.write_text(text, "utf-8")
    plot(results)


def plot(results: dict[str, dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [results[k] for k in sorted(results, key=int)]
    figure, (times, memory) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, key, unit in MEASURES:
        axes = memory if unit == "MB" else times
        points = [(r["articles"], _value(key, r)) for r in rows if _value(key, r) is not None]
        axes.plot([n for n, _ in points], [v / 1000 if unit == "ms" else v for _, v in points], marker="o",
                  label=name + (" (s)" if unit == "ms" else ""))
    for axes, title, unit in ((times, "Time", "seconds"), (memory, "Memory and disk", "MB")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("articles")
        axes.set_ylabel(unit)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    figure.suptitle("kb cost curve (bench/scale.py)")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)
    plt.close(figure)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child-plain-index":
        plain_recipe_index(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--child-search":
        child_search(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated article counts [%(default)s]")
    parser.add_argument("--resume", action="store_true", help="skip sizes already in the results file")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work", type=Path, default=ROOT / ".kb" / "bench-scale",
                        help="where the knowledge bases and indexes are kept [%(default)s]")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the doc and plot from the saved results, measure nothing")
    args = parser.parse_args()
    for needed in (SHARED / "corpora" / "tldr", SHARED / "eval" / "make_kb.py"):
        if not needed.exists():
            sys.exit(f"not found: {needed} (the shared corpora must sit beside the repository)")
    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else {}
    if not args.report_only:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        args.work.mkdir(parents=True, exist_ok=True)
        query_list = queries(args.work, args.queries)
        print(f"{len(query_list)} queries; {os.cpu_count()} cores; results → {RESULTS}", flush=True)
        for size in sizes:
            if args.resume and not results.get(str(size), {"partial": True}).get("partial"):
                print(f"\n== {size}: measured {results[str(size)]['measured']}, skipped (--resume)")
                continue

            def save(row, size=size):
                results[str(size)] = row
                RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
                write_doc(results)

            measure_size(size, args.work, query_list, save)
    write_doc(results)
    print("\n" + report(results))


if __name__ == "__main__":
    main()
