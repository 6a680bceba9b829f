"""Helpers shared by the benchmarks (and the crash tests): percentiles, the plain recipe (the
peer), a real `kb serve` on a free port, what an index answers, and the processes below a process."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_TOKEN = "kb-bench-R8vN2qW5zX7cK4mT9pL3hJ6fD1sB0gY"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def plain_recipe_index(articles: Path, out: Path) -> int:
    """The afternoon version: ChineseAnalyzer, title + content, one writer."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    analyzer = ChineseAnalyzer()
    schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True, analyzer=analyzer),
                    content=TEXT(analyzer=analyzer))
    writer = index.create_in(str(out), schema).writer()
    count = 0
    for path in sorted(articles.rglob("*.md")):
        title, _, body = path.read_text("utf-8").partition("\n")
        writer.add_document(path=str(path), title=title.lstrip("# ").strip(), content=body)
        count += 1
    writer.commit()
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def kb_serve(articles: Path, index_dir: Path, *args: str, log=subprocess.DEVNULL, env: dict | None = None):
    """`kb serve` on a free port, with no practical rate limit; yields its base URL."""
    with kb_serve_process(articles, index_dir, *args, log=log, env=env) as (base, _process):
        yield base


@contextlib.contextmanager
def kb_serve_process(articles: Path, index_dir: Path, *args: str, log=subprocess.DEVNULL,
                     env: dict | None = None):
    """`kb serve` as `kb_serve` starts it; yields its base URL and the process."""
    command = [str(Path(sys.executable).parent / "kb"), "serve", "--articles", str(articles),
               "--index", str(index_dir), *args]
    with serving(command, env or {}, log) as started:
        yield started


@contextlib.contextmanager
def serving(command: list[str], env: dict, log=subprocess.DEVNULL):
    """A server started by `command` (`kb serve ...`, or gunicorn with `--bind`) on a free port,
    with no practical rate limit; yields its base URL and process once `/healthz` answers."""
    port = free_port()
    command = command + (["--port", str(port)] if "serve" in command else ["--bind", f"127.0.0.1:{port}"])
    env = {**os.environ, "KB_RATE_LIMIT": "1000000 per second", "KB_AGENT_TOKENS": BENCH_TOKEN, **env}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited before answering") from None
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)


def answers(index_dir: Path, queries: list[str]) -> list:
    """What the index answers to `queries`: totals, scores and the ids scoring above the last one
    shown (articles tied with it may come in any order after a rebuild)."""
    from search.searcher import SearchIndex

    index = SearchIndex(index_dir)
    try:
        found = []
        for query in queries:
            results = index.search(query)
            scores = [round(a.score, 4) for a in results.articles]
            sure = sorted(a.id for a in results.articles if round(a.score, 4) > min(scores, default=0))
            found.append((results.total, scores, sure))
        return found
    finally:
        index.close()


def _children() -> dict[int, list[int]]:
    """Process id → its children's ids, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(
                int(stat.parent.name))
    return children


def children(pid: int) -> set[int]:
    """The processes `pid` started itself (a server's workers)."""
    return set(_children().get(pid, []))


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children...), from /proc."""
    tree = _children()
    found, todo = set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
