"""Helpers shared by the benchmarks: percentiles and a real `kb serve` on a free port."""

from __future__ import annotations

import contextlib
import os
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def kb_serve(articles: Path, index_dir: Path, *args: str, log=subprocess.DEVNULL, env: dict | None = None):
    """`kb serve` on a free port, with no practical rate limit; yields its base URL."""
    port = free_port()
    env = {**os.environ, "KB_RATE_LIMIT": "1000000 per second", "KB_AGENT_TOKENS": BENCH_TOKEN, **(env or {})}
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
