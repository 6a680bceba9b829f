"""The site's database on SQLite and on PostgreSQL: every table of `METADATA` round-trips a row,
upserts, NUL characters, start-up races and clear errors for bad settings."""

from __future__ import annotations

import datetime as dt
import decimal
import threading
import uuid

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    select,
)

from kb.config import ConfigError, Settings
from tests.conftest import make_app
from web import database
from web.database import METADATA, UTCDateTime, upsert

BEIJING = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def sample(column, parents: dict):
    """(value to write, value expected back) for one column, by its type."""
    for foreign_key in column.foreign_keys:
        value = parents[foreign_key.column.table.name][foreign_key.column.name]
        return value, value
    kind = column.type
    if isinstance(kind, UTCDateTime):
        written = dt.datetime(2026, 11, 25, 20, 30, 15, 123456, tzinfo=BEIJING)
        return written, written.astimezone(dt.UTC)
    if isinstance(kind, Enum):
        return kind.enums[0], kind.enums[0]
    if isinstance(kind, String):  # Text too: Chinese text at the column's full length, with a NUL
        length = kind.length or 2000
        text = ("退款 refund\x00" * length)[:length]
        return text, text.replace("\x00", "")
    values = [(Boolean, True), (BigInteger, 2**62), (Integer, 2**31 - 1), (Float, 0.5),
              (Numeric, decimal.Decimal("12.50")), (Date, dt.date(2026, 11, 25)),
              (JSON, {"查询": ["退款", 1, None]}), (LargeBinary, b"\x00\xff"),
              (Uuid, uuid.UUID("12345678-1234-5678-1234-567812345678"))]
    for type_, value in values:
        if isinstance(kind, type_):
            return value, value
    pytest.fail(f"{column.table.name}.{column.name}: no sample value for {kind!r}; add one to this test "
                "(and a plain DateTime must be UTCDateTime)")


def test_every_table_round_trips_a_row(database_url):
    engine = database.connect(database_url)
    parents: dict[str, dict] = {}
    assert METADATA.sorted_tables
    for table in METADATA.sorted_tables:
        written, expected = {}, {}
        for column in table.columns:
            if column.primary_key and column.autoincrement is not False and isinstance(column.type, Integer) \
                    and not column.foreign_keys and len(table.primary_key.columns) == 1:
                continue  # the database numbers it
            written[column.name], expected[column.name] = sample(column, parents)
        with engine.begin() as connection:
            key = connection.execute(table.insert().values(**written)).inserted_primary_key
            condition = [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]
            row = connection.execute(select(table).where(*condition)).mappings().one()
        for name, value in expected.items():
            assert row[name] == value, f"{table.name}.{name}"
            if isinstance(value, dt.datetime):
                assert row[name].tzinfo is not None, f"{table.name}.{name} came back naive"
        parents[table.name] = dict(row)
    engine.dispose()


COUNTS = Table("counts", MetaData(), Column("day", String(10), primary_key=True),
               Column("query", Text, primary_key=True), Column("searches", Integer, nullable=False),
               Column("last", UTCDateTime, nullable=False))


def test_upsert_adds_and_replaces(database_url):
    engine = database.connect(database_url)
    COUNTS.metadata.create_all(engine)
    first, later = dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC), dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
    with engine.begin() as connection:
        for when in (first, later, first):
            upsert(connection, COUNTS, {"day": "2026-11-25", "query": "退款", "searches": 1, "last": when},
                   keys=["day", "query"], add=("searches",))
        upsert(connection, COUNTS, {"day": "2026-11-25", "query": "提现", "searches": 2, "last": later},
               keys=["day", "query"], add=("searches",))
        rows = connection.execute(select(COUNTS).order_by(COUNTS.c.query)).all()
    assert [(r.query, r.searches, r.last) for r in rows] == [("提现", 2, later), ("退款", 3, first)]
    engine.dispose()


def test_replicas_starting_together_create_the_tables_once(postgres_url):
    failures = []

    def start():
        try:
            database.connect(postgres_url).dispose()
        except Exception as exc:  # noqa: BLE001 (any failure is the finding)
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_bare_postgresql_url_uses_psycopg(postgres_url):
    bare = "postgresql://" + postgres_url.partition("://")[2]
    assert database.database_url(None, bare) == postgres_url
    database.connect(database.database_url(None, bare)).dispose()


def test_feedback_with_a_nul_character_is_stored_on_postgresql(kb_dir, built_index, postgres_url):
    client = make_app(kb_dir, built_index, KB_DATABASE_URL=postgres_url).test_client()
    response = client.post("/api/feedback", json={"article_id": "refund-timeline", "helpful": True,
                                                  "query": "退款\u0000到账"})
    assert response.status_code == 201
    engine = database.connect(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(select(database.FEEDBACK.c.query)).scalar_one() == "退款到账"
    engine.dispose()


def test_an_unreachable_database_is_a_clear_error():
    with pytest.raises(ConfigError) as error:
        database.connect("postgresql+psycopg://kb:secret-password@127.0.0.1:1/kb")
    message = str(error.value)
    assert message.startswith("KB_DATABASE_URL: cannot use postgresql+psycopg://kb:***@127.0.0.1:1/kb: ")
    assert "secret-password" not in message


@pytest.mark.parametrize("url", ["not a url", "oracle+nodriver://x/y", "mongodb://x/y"])
def test_a_bad_database_url_is_a_config_error(kb_dir, url):
    with pytest.raises(ConfigError, match="KB_DATABASE_URL"):
        Settings.load(str(kb_dir), environ={"KB_DATABASE_URL": url})


def test_while_postgresql_is_down_search_pages_go_on(kb_dir, built_index, postgres_url):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    app = make_app(kb_dir, built_index, KB_DATABASE_URL=postgres_url)
    client, recorder = app.test_client(), app.extensions["kb_analytics"]
    assert client.get("/search", query_string={"q": "zzqxj"}).status_code == 200
    recorder.flush()
    name = make_url(postgres_url).database
    admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # the database goes away under the running site
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    page = client.get("/search", query_string={"q": "zzqxj"})
    assert page.status_code == 200 and "/articles/" in page.get_data(as_text=True)  # recent ones instead
    assert client.get("/api/search", query_string={"q": "退款"}).status_code == 200
    assert recorder.flush() == 0  # the searches' events wait for the database …

    with admin.connect() as connection:  # … which comes back, empty
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = database.connect(postgres_url)  # as a restarted replica would, it creates the tables
    assert recorder.flush() == 2  # … and gets them, none lost
    with engine.connect() as connection:
        queries = connection.execute(select(database.EVENTS.c.query)).scalars().all()
    engine.dispose()
    assert sorted(queries) == ["zzqxj", "退款"]
