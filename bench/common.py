"""Helpers shared by the benchmarks: percentiles, the plain recipe (the peer) and a real `kb serve`."""

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

BENCH_TOKEN = "bench-agent-token"


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
def kb_serve(articles: Path, index_dir: Path, *args: str, log=subprocess.DEVNULL):
    """`kb serve` on a free port, with no practical rate limit; yields its base URL."""
    with kb_serve_process(articles, index_dir, *args, log=log) as (base, _process):
        yield base


@contextlib.contextmanager
def kb_serve_process(articles: Path, index_dir: Path, *args: str, log=subprocess.DEVNULL):
    """`kb serve` as `kb_serve` starts it; yields its base URL and the process."""
    port = free_port()
    env = {**os.environ, "KB_RATE_LIMIT": "1000000 per second", "KB_AGENT_TOKENS": BENCH_TOKEN}
    process = subprocess.Popen([str(Path(sys.executable).parent / "kb"), "serve", "--port", str(port),
                                "--articles", str(articles), "--index", str(index_dir), *args],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("kb serve exited before answering") from None
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=20)
