"""The site's own records in one SQL database: votes, agent sessions, search analytics, the
answer bot's conversations and hand-overs.

The default is a SQLite file, `kb.sqlite3`, in the folder that holds the index folder.
`KB_DATABASE_URL` moves everything to PostgreSQL (`postgresql://user:pass@host/db`,
driven by psycopg 3), so that replicas on several machines share one database.
Every stored table is declared here, as SQLAlchemy Core, so one file shows all that
the site keeps; tables are created on first start (on PostgreSQL under an advisory
lock, so replicas and workers starting together do not race), and a column or index
added to a table later is added to an existing database on the next start
(`_create_tables`).

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
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.schema import CreateColumn

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


# "Was this helpful?" votes (`web.feedback`): one per voter and article. `voter` is a salted
# hash of the client address under the day's salt (never the address); NULL for imported votes.
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True),
    Column("article_id", String(500), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False),
    Column("query", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False, default=_now),
    Column("voter", String(64), nullable=True),
    # Where the vote came from (`web.analytics`): channel, interface language, the
    # day's session hash, and the bot conversation it was cast in.
    Column("channel", String(16)),
    Column("lang", String(8)),
    Column("session", String(32)),
    Column("conversation", String(32)),
    # A "not helpful" vote's answer to "what was missing?": one of `feedback.REASONS` and free text.
    Column("reason", String(40), nullable=False, server_default=""),
    Column("comment", Text, nullable=False, server_default=""),
    Index("feedback_one_vote", "article_id", "voter", unique=True),
)

# Search analytics (`web.analytics`): one row per search, suggestion pick, result
# click, bot answer and hand-over. Text is masked (`kb.privacy`) before it is written;
# no address is kept, only `session`: a hash of address and browser with that day's salt.
EVENTS = Table(
    "events", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("day", String(10), nullable=False, index=True),  # the server's local date, YYYY-MM-DD
    Column("kind", String(16), nullable=False),  # search | pick | click | ask | handover
    Column("channel", String(16), nullable=False),  # helpcenter | api | console | bot
    Column("lang", String(8)),
    Column("session", String(32), nullable=False),
    Column("query", Text, nullable=False, default=""),
    Column("normalized", String(200), nullable=False, default="", index=True),  # grouping key
    Column("results", Integer),  # articles found (search, ask)
    Column("confidence", String(8)),  # high | low | none (search, ask)
    Column("article_id", String(500)),  # picked, clicked or answered
    Column("position", Integer),  # 1-based rank of a clicked result
    Column("reason", String(32)),  # why the bot offered a human (ask, handover)
    Column("conversation", String(32)),  # the bot conversation (ask, handover)
)

# One random salt per day for the analytics session hashes and the votes' visitor hashes
# (`web.analytics.daily_salt`); other days' salts are deleted, so hashes can be linked
# neither across days nor back to an address.
SALTS = Table(
    "salts", METADATA,
    Column("day", String(10), primary_key=True),
    Column("salt", String(64), nullable=False),
)

# Agent sessions (`web.sessions`): the browser holds only the session id; the row keys on its
# SHA-256 and keeps a keyed digest of the token used, so removing the token ends the session.
SESSIONS = Table(
    "sessions", METADATA,
    Column("id_hash", String(64), primary_key=True),
    Column("token_digest", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False, default=_now),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)
# The answer bot's conversations (`web.handovers`), one row per question: the
# masked question and what the bot showed (JSON), so a hand-over carries them.
TURNS = Table(
    "turns", METADATA,
    Column("id", Integer, primary_key=True),
    Column("conversation", String(32), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False, default=_now, index=True),
    Column("lang", String(8)),
    Column("question", Text, nullable=False),
    Column("confidence", String(8)),
    Column("shown", Text, nullable=False),  # {"answer": …|null, "articles": […], "handover": {…}}
)

# Conversations handed over to a human, newest first in the agent console. One per
# conversation; `claimed_by` is set once, atomically (`web.handovers.claim`).
HANDOVERS = Table(
    "handovers", METADATA,
    Column("id", Integer, primary_key=True),
    Column("conversation", String(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False, default=_now, index=True),
    Column("lang", String(8)),
    Column("reason", String(32), nullable=False),
    Column("contact", String(200), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("claimed_by", String(64)),
    Column("claimed_at", UTCDateTime),
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
        for attempt in range(5):
            try:
                _create_tables(engine)
                break
            except OperationalError:  # SQLite: another worker created the same table at the same moment
                if attempt == 4:
                    raise
                time.sleep(0.1 * (attempt + 1))
    except (ArgumentError, NoSuchModuleError, SQLAlchemyError, ImportError) as exc:
        raise ConfigError(f"KB_DATABASE_URL: cannot use {_shown(url)}: {_first_line(exc)}") from None
    return engine


def _create_tables(engine: Engine) -> None:
    """Every table, and the columns and indexes declared here but missing from a table that an
    older kb created (added, so upgrading never needs a manual step; new columns must be
    nullable or have a server default)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        METADATA.create_all(connection)
        found = inspect(connection)
        for table in METADATA.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            indexes = {i["name"] for i in found.get_indexes(table.name)}
            for column in table.columns:
                if column.name not in columns:
                    ddl = CreateColumn(column).compile(dialect=engine.dialect)
                    connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
            for index in table.indexes:
                if index.name not in indexes:
                    index.create(connection, checkfirst=True)


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
