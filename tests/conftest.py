"""Shared fixtures: a real knowledge base copied to a temporary folder and a real index of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search.indexer import sync_index
from search.searcher import SearchIndex

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"
AGENT_TOKEN = "agent-token-for-tests"


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


@pytest.fixture
def app(kb_dir: Path, built_index: Path):
    from web import create_app

    return create_app({"TESTING": True, "KB_ARTICLES": str(kb_dir), "KB_INDEX": str(built_index),
                       "KB_AGENT_TOKENS": AGENT_TOKEN})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def agent_headers() -> dict:
    return {"Authorization": f"Bearer {AGENT_TOKEN}"}
