"""The site's own records in one SQL database: votes, search analytics, the answer bot's
conversations and hand-overs.

The default is a SQLite file, `kb.sqlite3`, in the folder that holds the index folder.
`KB_DATABASE_URL` moves everything to another database SQLAlchemy speaks
(`postgresql+psycopg://user:pass@host/db` for replicas that share one database).
Every stored table is declared here, as SQLAlchemy Core, so one file shows all that
the site keeps; tables are created on first start.

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
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

METADATA = MetaData()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# "Was this helpful?" votes (`web.feedback`).
FEEDBACK = Table(
    "feedback", METADATA,
    Column("id", Integer, primary_key=True),
    Column("article_id", String(500), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False),
    Column("query", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, default=_now),
    # Where the vote came from (`web.analytics`): channel, interface language, the
    # day's session hash, and the bot conversation it was cast in.
    Column("channel", String(16)),
    Column("lang", String(8)),
    Column("session", String(32)),
    Column("conversation", String(32)),
)

# Search analytics (`web.analytics`): one row per search, suggestion pick, result
# click, bot answer and hand-over. Text is masked (`kb.privacy`) before it is written;
# no address is kept, only `session`: a hash of address and browser with that day's salt.
EVENTS = Table(
    "events", METADATA,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
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

# One random salt per day for the session hashes; other days' salts are deleted, so
# hashes can be linked neither across days nor back to an address.
SALTS = Table(
    "salts", METADATA,
    Column("day", String(10), primary_key=True),
    Column("salt", String(64), nullable=False),
)

# The answer bot's conversations (`web.handovers`), one row per question: the
# masked question and what the bot showed (JSON), so a hand-over carries them.
TURNS = Table(
    "turns", METADATA,
    Column("id", Integer, primary_key=True),
    Column("conversation", String(32), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, default=_now, index=True),
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
    Column("created_at", DateTime(timezone=True), nullable=False, default=_now, index=True),
    Column("lang", String(8)),
    Column("reason", String(32), nullable=False),
    Column("contact", String(200), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("claimed_by", String(64)),
    Column("claimed_at", DateTime(timezone=True)),
)
SQLITE_NAME = "kb.sqlite3"
LEGACY_FEEDBACK = "feedback.sqlite3"  # votes of kb versions before the shared database


def database_url(index_dir: Path, configured: str | None) -> str:
    """`configured`, or the SQLite file beside the index folder."""
    if configured:
        return configured
    from web import beside_index

    return "sqlite:///" + str(beside_index(index_dir, SQLITE_NAME))


def connect(url: str) -> Engine:
    """An engine for `url` with every table created."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    create_tables(engine)
    add_missing_columns(engine)
    return engine


def create_tables(engine: Engine, attempts: int = 5) -> None:
    """Create the missing tables. Workers starting together race to create them (PostgreSQL
    then refuses the loser's CREATE TABLE); the loser finds them made on its next look."""
    for attempt in range(attempts):
        try:
            METADATA.create_all(engine)
            return
        except (IntegrityError, OperationalError, ProgrammingError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


def add_missing_columns(engine: Engine) -> None:
    """Add the columns a table declared here has gained since its database was created.

    Such columns must be nullable (or have a server default): existing rows get NULL.
    Several workers may start at once; a column another one added first is fine.
    """
    inspector = inspect(engine)
    for table in METADATA.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(engine.dialect)
            try:
                with engine.begin() as connection:
                    connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            except (OperationalError, ProgrammingError):
                if column.name not in {c["name"] for c in inspect(engine).get_columns(table.name)}:
                    raise


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
