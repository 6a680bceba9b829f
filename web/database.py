"""The site's own records in one SQL database: votes now, and every later table (sessions,
hand-overs, search logs) beside them.

The default is a SQLite file, `kb.sqlite3`, in the folder that holds the index folder.
`KB_DATABASE_URL` moves everything to PostgreSQL (`postgresql://user:pass@host/db`,
driven by psycopg 3), so that replicas on several machines share one database.
Every stored table is declared here, as SQLAlchemy Core, so one file shows all that
the site keeps; tables are created on first start (on PostgreSQL under an advisory
lock, so replicas and workers starting together do not race).

Rules that keep a table working the same on SQLite and PostgreSQL (a test round-trips
a row through every table on both):
- times are `UTCDateTime` columns: aware datetimes in, aware UTC datetimes out
  (a naive value is taken as UTC);
- text may arrive with NUL characters, which PostgreSQL cannot store: they are dropped
  from every value sent to the database;
- "insert or update" is `upsert()`, one atomic statement on both.

SQLite runs in WAL mode with a busy timeout, so several worker processes read while
one writes and a writer waits for another instead of failing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from kb.config import ConfigError

METADATA = MetaData()
SCHEMA_LOCK = 0x6B62  # PostgreSQL advisory lock held while creating tables ("kb")


class UTCDateTime(TypeDecorator):
    """A point in time, the same on every database: stored in UTC, read back as an aware datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# "Was this helpful?" votes (`web.feedback`).
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True),
    Column("article_id", String(500), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False),
    Column("query", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False, default=_now),
)
SQLITE_NAME = "kb.sqlite3"
LEGACY_FEEDBACK = "feedback.sqlite3"  # votes of kb versions before the shared database


def database_url(index_dir: Path, configured: str | None) -> str:
    """`configured` (a bare `postgresql://` URL uses psycopg 3), or the SQLite file beside the index."""
    if configured:
        for bare in ("postgresql://", "postgres://"):
            if configured.startswith(bare):
                return "postgresql+psycopg://" + configured[len(bare):]
        return configured
    from web import beside_index

    return "sqlite:///" + str(beside_index(index_dir, SQLITE_NAME))


def connect(url: str) -> Engine:
    """An engine for `url` with every table created; ConfigError naming KB_DATABASE_URL if it cannot be."""
    try:
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 15})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        event.listen(engine, "before_cursor_execute", _drop_nul_characters, retval=True)
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            METADATA.create_all(connection)
    except (ArgumentError, NoSuchModuleError, SQLAlchemyError, ImportError) as exc:
        raise ConfigError(f"KB_DATABASE_URL: cannot use {_shown(url)}: {_first_line(exc)}") from None
    return engine


def _shown(url: str) -> str:
    """`url` without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def _first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _drop_nul_characters(_conn, _cursor, statement, parameters, _context, executemany):
    """PostgreSQL refuses NUL in text; a visitor's text may hold one. Drop it on every database."""
    def clean(value):
        return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value

    def clean_row(row):
        if isinstance(row, dict):
            return {key: clean(value) for key, value in row.items()}
        return type(row)(clean(value) for value in row) if isinstance(row, (tuple, list)) else row

    if executemany:
        return statement, [clean_row(row) for row in parameters]
    return statement, clean_row(parameters)


def upsert(connection, table: Table, row: dict, keys: list[str], add: tuple[str, ...] = ()) -> None:
    """Insert `row`, or update the row with the same `keys`: columns in `add` are added to, the
    others replaced. One atomic statement on SQLite and PostgreSQL (INSERT ... ON CONFLICT)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"upsert on {connection.dialect.name}")
    statement = insert(table).values(**row)
    changes = {name: table.c[name] + statement.excluded[name] if name in add else statement.excluded[name]
               for name in row if name not in keys}
    if changes:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    connection.execute(statement)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app) -> None:
    """Open the app's database (`KB_DATABASE_URL`, else SQLite beside the index)."""
    from web import beside_index

    url = database_url(Path(app.config["KB_INDEX"]), app.config.get("KB_DATABASE_URL"))
    engine = connect(url)
    app.extensions["kb_database"] = engine
    if not app.config.get("KB_DATABASE_URL"):
        import_legacy_votes(engine, beside_index(app.config["KB_INDEX"], LEGACY_FEEDBACK))


def engine() -> Engine:
    """The database of the app handling this request."""
    return current_app.extensions["kb_database"]


def import_legacy_votes(engine: Engine, legacy: Path) -> None:
    """Move the votes of an older `feedback.sqlite3` into the shared database, once."""
    if not legacy.exists():
        return
    with contextlib.closing(sqlite3.connect(legacy, timeout=15)) as old:
        rows = old.execute("SELECT article_id, helpful, query, created_at FROM feedback ORDER BY id"
                           ).fetchall()
    with engine.begin() as connection:
        if rows:
            connection.execute(FEEDBACK.insert(), [
                {"article_id": a, "helpful": bool(h), "query": q or "",
                 "created_at": dt.datetime.fromisoformat(c).replace(tzinfo=dt.UTC)} for a, h, q, c in rows])
    legacy.rename(legacy.with_name(legacy.name + ".imported"))
