"""Load with live edits: 16 clients for 30 seconds while an editor keeps changing files.

    .venv/bin/python bench/load.py [--clients 16] [--seconds 30] [--workers 2] [--save-every 0.3]
    .venv/bin/python bench/load.py --corpus ../shared/corpora/tldr --save-every 1
    .venv/bin/python bench/load.py --recording [--rounds 6] [--seconds 10]

A copy of `articles/` (or of `--corpus`, e.g. the 8,961 tldr pages, indexed by `kb
index` before the server starts) is served by a real `kb serve --workers N`. Clients
mix searches (the golden queries; for a corpus, command names and words of its
pages' descriptions), type-ahead, article pages and results pages. Two phases in one
run: first without edits (the peer: the same server at rest), then while an editor
adds, edits, renames, breaks, fixes and deletes articles every `--save-every`
seconds. Budgets (issues 5 and 14): zero 5xx answers and zero failed connections;
search p95 with edits ≤ 2 × at rest and no request over 500 ms; at the end the
served index holds exactly what the folder holds (ids listed by the API match the
folder, and an incremental `kb index` finds nothing to do). Then each worker's RSS
and PSS (shared pages divided among the processes sharing them; budget on tldr:
≤ 250 MB per worker).

`--recording` measures what search analytics cost instead (issue 12): the same mix,
with article pages opened as clicks on a result (`?q=…&rank=…`), served alternately
with `KB_LOG=off` (the peer) and `KB_LOG=on` in `--rounds` adjacent pairs (the order
alternating), at rest. Budget: p95 over all rounds with recording on ≤ 1.1 × off, no
5xx; after a graceful stop, every recordable request of the "on" rounds is in the
database. Each pair's ratio is printed too: on a shared machine a single pair says more
about the neighbours than about kb.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import BENCH_TOKEN, children, kb_serve, kb_serve_process, percentile  # noqa: E402
from kb.corpus import load_corpus  # noqa: E402
from search.indexer import sync_index  # noqa: E402


class Tally:
    """Latencies by request kind and status counts, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.slow: list[tuple[float, float, str]] = []  # (when it ended, seconds, path) over 500 ms

    def add(self, kind: str, seconds: float, status: int, path: str = "") -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.statuses[status] += 1
            if seconds > 0.5:
                self.slow.append((time.time(), seconds, path))


def requests_for(queries: list[str], article_urls: list[str]):
    """An endless, shuffled mix: 45% search API, 20% suggest, 20% article pages, 15% results pages."""
    rng = random.Random(7)
    while True:
        roll = rng.random()
        query = rng.choice(queries)
        if roll < 0.45:
            yield "api/search", "/api/search?q=" + urllib.parse.quote(query)
        elif roll < 0.65:
            yield "api/suggest", "/api/suggest?q=" + urllib.parse.quote(query[: rng.randint(1, 4)])
        elif roll < 0.85:  # opened from a results page: a click on a result (web/analytics.py)
            yield "article page", (urllib.parse.quote(rng.choice(article_urls), safe="/#") + "?q="
                                   + urllib.parse.quote(query) + f"&rank={rng.randint(1, 5)}")
        else:
            yield "results page", "/search?q=" + urllib.parse.quote(query)


def client(base: str, mix, stop: threading.Event, tally: Tally) -> None:
    host = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    while not stop.is_set():
        kind, path = next(mix)
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            tally.add(kind, time.perf_counter() - started, response.status, path)
        except (OSError, http.client.HTTPException) as exc:
            with tally.lock:
                tally.failures.append(f"{kind} {path}: {exc!r}")
            connection.close()
            connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)


def editor(articles: Path, stop: threading.Event, log: Counter, every: float) -> None:
    """Keeps changing the folder the way editors do, including mistakes they then fix: one save
    every `every` seconds."""
    folder = articles / "load-test"
    folder.mkdir(exist_ok=True)
    existing = sorted(p for p in articles.rglob("*.md")
                      if "load-test" not in p.parts and not p.name.startswith("_"))
    for n in itertools.count():
        if stop.wait(every) and n % 6 != 3:
            return  # stop with no file left broken (step 3 fixes what step 2 broke)
        step = n % 6
        new = folder / f"note-{n // 6}.md"
        if step == 0:
            new.write_text(f"---\ntitle: 压测临时文章 {n}\ntags: [压测]\n---\n第 {n} 次保存的正文。\n",
                           "utf-8")
            log["add"] += 1
        elif step == 1:
            victim = existing[n % len(existing)]
            victim.write_text(victim.read_text("utf-8") + f"\n\n<!-- edit {n} -->\n补充说明 {n}。\n", "utf-8")
            log["edit"] += 1
        elif step == 2:
            new.write_text("---\ntitle: [broken yaml\n---\n", "utf-8")
            log["break"] += 1
        elif step == 3:
            new.write_text(f"---\ntitle: 修好的文章 {n}\n---\n已修复。\n", "utf-8")
            log["fix"] += 1
        elif step == 4:
            new.rename(folder / f"renamed-{n // 6}.md")
            log["rename"] += 1
        elif n // 6 % 2:
            (folder / f"renamed-{n // 6}.md").unlink()
            log["delete"] += 1


def run_clients(base: str, clients: int, seconds: float, mix_args, tally: Tally, stop: threading.Event,
                extra: list[threading.Thread]) -> None:
    """`clients` client threads (and the `extra` threads) for `seconds`, then `stop` them all."""
    threads = [threading.Thread(target=client, args=(base, requests_for(*mix_args), stop, tally))
               for _ in range(clients)] + extra
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()


def run_phase(base: str, clients: int, seconds: float, mix_args, edit_folder: Path | None,
              save_every: float = 0.3) -> tuple:
    tally, stop, edits = Tally(), threading.Event(), Counter()
    extra = [] if edit_folder is None else [
        threading.Thread(target=editor, args=(edit_folder, stop, edits, save_every))]
    run_clients(base, clients, seconds, mix_args, tally, stop, extra)
    return tally, edits


def report(name: str, tally: Tally, seconds: float) -> float:
    total = sum(tally.statuses.values())
    errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    print(f"\n{name}: {total} requests in {seconds:.0f}s = {total / seconds:.0f}/s; "
          f"statuses {dict(sorted(tally.statuses.items()))}; 5xx {errors}; failed connections "
          f"{len(tally.failures)}")
    for kind, values in sorted(tally.latency.items()):
        print(f"  {kind:14} n={len(values):6}  p50 {statistics.median(values) * 1000:7.1f} ms  "
              f"p95 {percentile(values, 95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms  "
              f"over 500 ms {sum(v > 0.5 for v in values)}")
    for failure in tally.failures[:5]:
        print("  failure:", failure)
    for ended, took, path in sorted(tally.slow):  # when (to match the server's logs), how long
        stamp = time.strftime("%H:%M:%S", time.gmtime(ended)) + f"{ended % 1:.3f}"[1:]
        print(f"  over 500 ms: ended {stamp} UTC  {took * 1000:6.0f} ms  {path[:90]}")
    return total / seconds


def listed_ids(base: str) -> set[str]:
    """Every article id the server lists, internal ones included."""
    ids, offset, total = set(), 0, 1
    while offset < total:
        request = urllib.request.Request(f"{base}/api/articles?limit=200&offset={offset}",
                                         headers={"Authorization": f"Bearer {BENCH_TOKEN}"})
        body = json.loads(urllib.request.urlopen(request, timeout=30).read())
        ids |= {a["id"] for a in body["articles"]}
        offset, total = offset + 200, body["total"]
    return ids


def compare_recording(args, articles: Path, index_dir: Path, mix_args) -> bool:
    """Search analytics off (the peer) and on, in `args.rounds` adjacent pairs (the order
    alternating), so the machine's drift hits both alike; True when within budget."""
    tallies = {"off": Tally(), "on": Tally()}
    pairs: list[dict[str, float]] = []
    database = index_dir.resolve().parent / "kb.sqlite3"
    for round_ in range(args.rounds):
        pair = {}
        for mode in (("off", "on") if round_ % 2 == 0 else ("on", "off")):
            with kb_serve(articles, index_dir, "--workers", str(args.workers), "--no-watch",
                          env={"KB_LOG": mode}) as base:
                run_phase(base, args.clients, 3, mix_args, None)  # warm-up
                tally, _ = run_phase(base, args.clients, args.seconds, mix_args, None)
            report(f"round {round_ + 1}, recording {mode}", tally, args.seconds)
            pair[mode] = percentile([v for values in tally.latency.values() for v in values], 95)
            pooled = tallies[mode]
            for kind, values in tally.latency.items():
                pooled.latency[kind].extend(values)
            pooled.statuses += tally.statuses
            pooled.failures += tally.failures
        pairs.append(pair)
    with sqlite3.connect(database) as connection:
        recorded = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        intact = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print("\nrecording off vs on, all rounds pooled (p95, ms):")
    every = {mode: [v for values in t.latency.values() for v in values] for mode, t in tallies.items()}
    for kind in sorted(tallies["off"].latency):
        off, on = (percentile(tallies[m].latency[kind], 95) * 1000 for m in ("off", "on"))
        print(f"  {kind:14} off {off:7.1f}  on {on:7.1f}  ratio {on / off:.2f}")
    off_all, on_all = (percentile(every[m], 95) * 1000 for m in ("off", "on"))
    print(f"  {'all requests':14} off {off_all:7.1f}  on {on_all:7.1f}  ratio {on_all / off_all:.2f}")
    ratio = on_all / off_all
    print(f"p95 with recording on / off, all rounds: {ratio:.2f} (budget ≤ 1.10); of each adjacent pair "
          "(how noisy the machine was): " + ", ".join(f"{p['on'] / p['off']:.2f}" for p in pairs))
    rates = {m: len(every[m]) / (args.seconds * args.rounds) for m in every}
    print(f"throughput: off {rates['off']:.0f}/s, on {rates['on']:.0f}/s ({rates['on'] / rates['off']:.2f})")
    five_xx = sum(n for t in tallies.values() for s, n in t.statuses.items() if s >= 500)
    failures = sum(len(t.failures) for t in tallies.values())
    # Warm-up requests of the "on" rounds are recorded too; suggestions are not recorded.
    expected = sum(len(v) for k, v in tallies["on"].latency.items() if k != "api/suggest")
    print(f"5xx answers: {five_xx}; failed connections: {failures}; events recorded {recorded} for "
          f"{expected} recordable requests measured (plus warm-ups); database intact: {intact}")
    ok = ratio <= 1.1 and five_xx == 0 and failures == 0 and recorded >= expected and intact
    print("PASS" if ok else "FAIL")
    return ok


def worker_memory(server_pid: int) -> list[tuple[float, float]]:
    """(RSS, PSS) in MB of each worker process of the server (its children), from /proc."""
    found = []
    for pid in sorted(children(server_pid)):
        fields = {}
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
        except (OSError, ValueError):
            continue
        found.append((fields.get("Rss", 0.0), fields.get("Pss", 0.0)))
    return found


def corpus_copy(source: Path, articles: Path) -> list[str]:
    """Copy the Markdown pages of `source` to `articles`; their queries (bench/perf.py's rule)."""
    from bench.perf import queries_from

    for page in source.rglob("*.md"):
        if page.name != "LICENSE.md":
            target = articles / page.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(page, target)
    return queries_from(articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-every", type=float, default=0.3, help="Seconds between two saves.")
    parser.add_argument("--corpus", type=Path, help="Serve a copy of these pages instead of articles/.")
    parser.add_argument("--recording", action="store_true", help="Measure search analytics off vs on.")
    parser.add_argument("--rounds", type=int, default=6, help="With --recording: pairs of off and on.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kb-load-"))
    articles, index_dir = work / "articles", work / "index"
    if args.corpus:
        queries = corpus_copy(args.corpus, articles)
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "kb"), "index", "--articles", str(articles),
                        "--index", str(index_dir)], check=True, stdout=subprocess.DEVNULL)
        print(f"kb index of {args.corpus}: {time.perf_counter() - started:.1f}s")
    else:
        shutil.copytree(ROOT / "articles", articles)
        golden = (ROOT / "tests/golden_queries.tsv").read_text("utf-8").splitlines()
        queries = [line.split("\t")[0] for line in golden if line.strip() and not line.startswith("#")]
    article_urls = ["/articles/" + a.id for a in load_corpus(articles).articles if not a.internal]
    print(f"kb serve --workers {args.workers}, {args.clients} clients, {args.seconds:.0f}s per phase, "
          f"{len(article_urls)} public articles, {len(queries)} queries, a save every {args.save_every}s")
    if args.recording:
        try:
            sys.exit(0 if compare_recording(args, articles, index_dir, (queries, article_urls)) else 1)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    mix = (queries, article_urls)
    try:
        with kb_serve_process(articles, index_dir, "--workers", str(args.workers)) as (base, server):
            run_phase(base, args.clients, 3, mix, None)  # warm-up
            rest, _ = run_phase(base, args.clients, args.seconds, mix, None)
            rest_rate = report("at rest (peer)", rest, args.seconds)
            busy, edits = run_phase(base, args.clients, args.seconds, mix, articles, args.save_every)
            busy_rate = report(f"with live edits {dict(edits)}", busy, args.seconds)
            time.sleep(2.0)  # the promise: every save is live within 2 seconds
            expected = {a.id for a in load_corpus(articles).articles}
            served = listed_ids(base)
            memory = worker_memory(server.pid)
            in_step = sync_index(articles, index_dir).mode == "unchanged"
        five_xx = sum(n for s, n in (rest.statuses + busy.statuses).items() if s >= 500)
        failures = len(rest.failures) + len(busy.failures)
        search_ratio = (percentile(busy.latency["api/search"], 95)
                        / percentile(rest.latency["api/search"], 95))
        slow = sum(v > 0.5 for tally in (rest, busy) for values in tally.latency.values() for v in values)
        print(f"\nthroughput with edits / at rest: {busy_rate / rest_rate:.2f}")
        print(f"search p95 with edits / at rest: {search_ratio:.2f} (budget ≤ 2); requests over 500 ms: "
              f"{slow} (budget 0)")
        print("per worker: " + ", ".join(f"RSS {rss:.0f} MB / PSS {pss:.0f} MB" for rss, pss in memory))
        print(f"5xx answers: {five_xx}; failed connections: {failures}")
        print(f"index holds what the folder holds: ids {'match' if served == expected else 'DIFFER'} "
              f"({len(served)} served, {len(expected)} in the folder) 2 s after the last save; "
              f"incremental kb index afterwards: {'nothing to do' if in_step else 'HAD WORK LEFT'}")
        if served != expected:
            print("  missing:", sorted(expected - served)[:10], "extra:", sorted(served - expected)[:10])
        ok = five_xx == 0 and failures == 0 and served == expected and in_step
        print("PASS" if ok else "FAIL", "(correctness: no 5xx, no failed connection, the folder served; "
              "the latency and memory budgets are reported above)")
        sys.exit(0 if ok else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
