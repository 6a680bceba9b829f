"""Linear-time text processing (issue 13): 1 MB adversarial articles and long hostile queries,
through the product's real path, beside plain prose of the same size.

    .venv/bin/python bench/adversarial.py [--size 990000] [--bound 10] [--corpus ../shared/corpora/tldr]

Each adversarial input is a pattern repeated up to `--size` bytes — runs of emphasis
markers, brackets, backticks, unclosed tags, container and anchor markers, deeply nested
quotes and lists, one long word — written as an article. The peer is real prose of the same
size (tldr pages, or the starter articles when the corpus is absent). For every input the
benchmark times, in one process:

- `index`: `sync_index` of a folder holding that one article (read, parse, sections, analysis);
- `page`:  the article page rendered by the web app (Flask's test client);
- `search`: a search for a word of the article.

An input passes when each stage takes at most `--bound` × the peer's time for the same stage
(plus a 0.5 s allowance for fixed costs). Super-linear processing shows up as ratios of 100×
and more; the run exits 1 when any input fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.indexer import sync_index  # noqa: E402
from search.searcher import SearchIndex  # noqa: E402

SLACK_SECONDS = 0.5

# name → (pattern repeated to the size, a word to search for)
PATTERNS = {
    "emphasis runs": ("*a _b **c __d ", "a"),
    "unclosed emphasis": ("*a" * 40 + "\n", "a"),
    "brackets": ("[a](b " * 20 + "\n", "a"),
    "nested brackets": ("[" * 200 + "a" + "]" * 10 + "\n", "a"),
    "image markers": ("![a " * 30 + "\n", "a"),
    "backticks": ("`a ``b ```c " * 10 + "\n", "a"),
    "unclosed tags": ("<a b=\"c " * 20 + "\n", "a"),
    "html blocks": ("<div>\n\n*a*\n\n", "a"),
    "containers": ("::: tip\n", "tip"),
    "anchors": ("## h {#a" * 20 + "\n", "h"),
    "wikilinks": ("[[a|b" * 30 + "\n", "a"),
    "nested quotes": ("> " * 500 + "a\n", "a"),
    "nested lists": ("".join("  " * n + "- a\n" for n in range(200)), "a"),
    "table pipes": ("|" * 300 + "\n", "a"),
    "headings": ("# a\n## b\n### c\n", "b"),
    "long word": ("a" * 1000, "a"),
    "backslashes": ("\\" * 500 + "*a\n", "a"),
    "faq lines": ("**1. a?** b\n", "a"),
}


def prose(size: int, corpus: Path) -> str:
    """Real Markdown prose (tldr pages, else the starter articles) up to `size` bytes."""
    pages = sorted((corpus / "pages").rglob("*.md")) if corpus.is_dir() else []
    pages = pages or sorted((ROOT / "articles").rglob("*.md"))
    text, used = [], 0
    for page in pages:
        body = page.read_text("utf-8", errors="replace").replace("\n# ", "\n## ")
        text.append(body)
        used += len(body.encode())
        if used >= size:
            break
    return "".join(text)[: size // 3]  # bytes ≥ characters; CJK is 3 bytes each


def article(body: str, size: int) -> str:
    head = "---\ntitle: Adversarial input\nlang: en\n---\n\n"
    data = head + body
    while len(data.encode()) < size:
        data += body
    return data.encode()[:size].decode("utf-8", errors="ignore")


def measure(name: str, text: str, word: str, work: Path) -> dict[str, float]:
    folder, index_dir = work / name / "articles", work / name / "index"
    folder.mkdir(parents=True)
    (folder / "input.md").write_text(text, "utf-8")
    timings = {}
    started = time.perf_counter()
    report = sync_index(folder, index_dir)
    timings["index"] = time.perf_counter() - started
    problems = [p.message for p in report.problems if p.level == "error"]
    from web import create_app

    app = create_app({"TESTING": True, "KB_ARTICLES": str(folder), "KB_INDEX": str(index_dir),
                      "KB_WATCH": False, "KB_LOG": False})
    client = app.test_client()
    started = time.perf_counter()
    page = client.get("/articles/input")
    timings["page"] = time.perf_counter() - started
    index = SearchIndex(index_dir)
    try:
        index.search("warm up")
        started = time.perf_counter()
        index.search(word)
        timings["search"] = time.perf_counter() - started
    finally:
        index.close()
    timings["status"] = page.status_code if not problems else f"refused: {problems[0][:60]}"
    shutil.rmtree(work / name)
    return timings


def measure_within(name: str, text: str, word: str, work: Path, seconds: float) -> dict | None:
    """`measure` in a child process; None when it takes longer than `seconds` (it is killed)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(measure(name, text, word, work)), daemon=True)
    child.start()
    try:
        return results.get(timeout=seconds)
    except queue.Empty:
        return None
    finally:
        child.kill()
        child.join()
        shutil.rmtree(work / name, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=990_000)
    parser.add_argument("--bound", type=float, default=10.0)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "tldr")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-adversarial-"))
    try:
        peer = measure("peer", article(prose(args.size, args.corpus), args.size), "the", work)
        print(f"{args.size:,}-byte inputs; bound: {args.bound:g}× the prose peer + {SLACK_SECONDS} s\n")
        print("| input | index s | page s | search ms | worst ratio | page | verdict |")
        print("|---|---|---|---|---|---|---|")
        print(f"| prose (peer) | {peer['index']:.2f} | {peer['page']:.2f} | {peer['search'] * 1000:.1f} "
              f"| 1.0 | {peer['status']} | — |")
        failed = 0
        for name, (pattern, word) in PATTERNS.items():
            stages = ("index", "page", "search")
            budget = sum(args.bound * peer[s] + SLACK_SECONDS for s in stages)
            result = measure_within(name.replace(" ", "-"), article(pattern, args.size), word, work,
                                    budget * 2)
            if result is None:
                failed += 1
                print(f"| {name} | — | — | — | — | — | **too slow** (stopped after {budget * 2:.0f} s) |",
                      flush=True)
                continue
            ratio = max(result[s] / max(peer[s], 1e-3) for s in stages)
            ok = all(result[s] <= args.bound * peer[s] + SLACK_SECONDS for s in stages)
            failed += not ok
            print(f"| {name} | {result['index']:.2f} | {result['page']:.2f} | {result['search'] * 1000:.1f} "
                  f"| {ratio:.1f} | {result['status']} | {'ok' if ok else '**too slow**'} |", flush=True)
        print(f"\n{len(PATTERNS) - failed} of {len(PATTERNS)} inputs within the bound")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
