"""The shared services of replicas, for the tests that need them: a fresh PostgreSQL database and a
Redis database. `.ci/services` starts both; elsewhere these tests skip with one line saying why.

KB_TEST_POSTGRES_URL: a role that may create databases [postgresql+psycopg://kb:kb@127.0.0.1:5432/postgres]
KB_TEST_REDIS_URL: a Redis server [redis://127.0.0.1:6379]
"""

from __future__ import annotations

import os
import random
import uuid

import pytest

from tests.conftest import close_apps

POSTGRES = os.environ.get("KB_TEST_POSTGRES_URL", "postgresql+psycopg://kb:kb@127.0.0.1:5432/postgres")
REDIS = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def postgres_url():
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"kb_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 (any failure to reach it means: no PostgreSQL here)
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {make_url(POSTGRES).render_as_string()} "
                    f"({type(exc).__name__}); run .ci/services")
    yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    close_apps()  # their analytics writers would go on writing to the dropped database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_url():
    """A Redis database (1–15, by chance) for rate-limit counters; the counters are deleted afterwards."""
    import redis

    url = f"{REDIS}/{random.randint(1, 15)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS} ({type(exc).__name__}); run .ci/services")
    _forget_counters(client)
    yield url
    _forget_counters(client)
    client.close()


def _forget_counters(client) -> None:
    for key in client.scan_iter("*LIMITER/*"):
        client.delete(key)
