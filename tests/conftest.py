"""Shared fixtures: a real knowledge base copied to a temporary folder and a real index of it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from search.indexer import sync_index
from search.searcher import SearchIndex

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # the team's evaluation sets and corpora, beside the clone (CI has it)
AGENT_TOKEN = "kb-test-7Qx2Lm9Vr4Tz8Nw3Hp6Jd5Fc1Yb0Ks"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture knowledge base."""
    target = tmp_path / "articles"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def built_index(kb_dir: Path, index_dir: Path) -> Path:
    """The fixture knowledge base indexed with the real analyzer and Whoosh."""
    sync_index(kb_dir, index_dir)
    return index_dir


@pytest.fixture
def search_index(built_index: Path):
    index = SearchIndex(built_index)
    yield index
    index.close()


_OPEN_APPS: list = []


def make_app(articles: Path, index: Path, **config):
    """The real application over `articles` and `index`, for Flask's test client (no live reload)."""
    from web import create_app

    app = create_app({"TESTING": True, "KB_ARTICLES": str(articles), "KB_INDEX": str(index),
                      "KB_AGENT_TOKENS": AGENT_TOKEN, "KB_WATCH": False, **config})
    _OPEN_APPS.append(app)
    return app


def close_apps() -> None:
    """Stop the analytics writers of the apps tests made (before their database goes away)."""
    while _OPEN_APPS:
        recorder = _OPEN_APPS.pop().extensions.get("kb_analytics")
        if recorder is not None:
            recorder.close()


@pytest.fixture(autouse=True)
def _close_apps_after_each_test():
    yield
    close_apps()


def indexed_copy(root: Path, *extra) -> Path:
    """The fixture knowledge base copied to `root/articles` (plus `extra(articles)` writers), indexed."""
    shutil.copytree(FIXTURE_KB, root / "articles")
    for write in extra:
        write(root / "articles")
    sync_index(root / "articles", root / "index")
    return root


@pytest.fixture
def app(kb_dir: Path, built_index: Path):
    return make_app(kb_dir, built_index)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def agent_headers() -> dict:
    return {"Authorization": f"Bearer {AGENT_TOKEN}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_kb_serve(articles: Path, index: Path, *args: str, env: dict | None = None,
                     log_path: Path | None = None):
    """A real `kb serve` process on a free port; yields its base URL and stops it afterwards.
    Its output goes to `log_path` when given."""
    with kb_serve_process(articles, index, *args, env=env, log_path=log_path) as (base, _process):
        yield base


@contextlib.contextmanager
def kb_serve_process(articles: Path, index: Path, *args: str, env: dict | None = None,
                     log_path: Path | None = None):
    """`running_kb_serve`, yielding the process too (to kill it)."""
    port = free_port()
    environment = {**os.environ, "KB_AGENT_TOKENS": AGENT_TOKEN, **(env or {})}
    # The log goes to a file: a pipe nobody reads would fill up and block the server.
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port),
                                "--articles", str(articles), "--index", str(index), *args],
                               env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5).close()
            break
        except OSError:
            time.sleep(0.2)
    if process.poll() is not None or time.monotonic() >= deadline:
        process.kill()
        log.seek(0)
        pytest.fail("kb serve did not start: " + log.read().decode(errors="replace"))
    try:
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def eventually(check, timeout: float = 3.0) -> float:
    """Seconds until `check()` holds, polling; fails the test after `timeout` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            pytest.fail(f"still not true after {timeout}s: {check.__doc__ or check}")
        time.sleep(0.05)
    return time.monotonic() - started


def shared_folder(*parts: str) -> Path:
    """A folder of ../shared; where it is absent the test is skipped, saying so in one line."""
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"{path} is absent (../shared ships with the team's shared folder)")
    return path


def real_pages(per_language: int) -> list[Path]:
    """Every starter article and the first `per_language` tldr pages of each language (English,
    Chinese) — the starter articles only where ../shared is absent."""
    tldr = SHARED / "corpora" / "tldr"
    paths = sorted((ROOT / "articles").rglob("[!_]*.md"))
    for pages in ("pages.zh", "pages"):
        paths += sorted((tldr / pages).rglob("*.md"))[:per_language]
    return paths

