"""Search analytics, private by design: what customers search, pick, click and ask.

Request code calls `record(kind, ...)`; it only puts the event on a queue. One writer
thread per process masks the text (`kb.privacy`), turns the client into the day's
session hash and writes the queue to the `events` table (`web.database`) in one
transaction at least every `FLUSH_SECONDS`, and at exit. Several worker processes
each run their own writer; the database serialises them. A process killed with
`kill -9` loses at most what its queue held: the last `FLUSH_SECONDS`.

What is kept: kind, channel, interface language, masked query (at most 200
characters), its normalised form, results found, confidence, the article picked or
clicked and its position, the hand-over reason, and `session`: a hash of address
and browser with a random salt of the day. The salt of another day is deleted, so
no hash leads back to an address and a visitor cannot be followed across days. No
address is stored. Rows older than `KB_LOG_DAYS` are deleted, here and in the
other tables the bot and the votes write. `KB_LOG=off`: nothing is recorded.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import logging
import os
import queue
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, request
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kb.privacy import mask
from search.analysis import fold_text
from web.auth import session_is_agent
from web.database import EVENTS, FEEDBACK, HANDOVERS, SALTS, TURNS

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
PURGE_SECONDS = 3600
MAX_QUEUE = 100_000  # events waiting; beyond this (a stuck database) new ones are dropped
MAX_TEXT = 200  # characters of masked text kept
KINDS = ("search", "pick", "click", "ask", "handover")
CHANNELS = ("helpcenter", "api", "console", "bot")
_PARTICLES = re.compile(r"(?:吗|呢|啊|呀|吧|么|嘛)+$")
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


def clean_text(text: str, limit: int = MAX_TEXT, keep: frozenset[str] = frozenset()) -> str:
    """Masked (`kb.privacy`), on one line, at most `limit` characters: what may be stored of
    customer text. Only the start is masked: a number cut there cannot survive the final cut."""
    masked = mask(text[:limit + 100], keep)
    if not masked.isprintable():
        # Line breaks and other spaces become one space; NUL and other controls go.
        masked = "".join(c if c.isprintable() else " " if c.isspace() else "" for c in masked)
    return _SPACES.sub(" ", masked).strip()[:limit]


def normalize(text: str) -> str:
    """The grouping key of a query: folded (full-width, traditional, case), punctuation and
    trailing particles dropped, so `退款多久到账？` and `退款多久到账吗` count as one."""
    folded = _NOT_WORD.sub(" ", fold_text(text).lower()).strip()
    return _PARTICLES.sub("", folded).strip()[:MAX_TEXT]


@dataclass
class Event:
    """One thing a customer or agent did, as recorded before masking and hashing."""

    kind: str
    channel: str
    lang: str | None = None
    query: str = ""
    results: int | None = None
    confidence: str | None = None
    article_id: str | None = None
    position: int | None = None
    reason: str | None = None
    conversation: str | None = None
    client: str = ""  # address and browser; hashed by the writer, never stored
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class Recorder:
    """The queue and the writer thread of one process, for one database."""

    def __init__(self, engine: Engine, enabled: bool, keep_days: int):
        self.engine = engine
        self.enabled = enabled
        self.keep_days = keep_days
        self.dropped = 0
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._pending: list[dict] = []  # rows a failed write keeps for the next round
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._purged = 0.0
        atexit.register(self.close)

    def record(self, event: Event) -> None:
        """Queue `event` for the writer; never blocks and never raises."""
        if not self.enabled:
            return
        if self._queue.qsize() >= MAX_QUEUE:
            self.dropped += 1
            return
        self._queue.put(event)
        if not self._running():
            self._start()

    def _running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def _start(self) -> None:
        """Start this process's writer (again after a fork, where threads do not survive, or
        after `close`)."""
        with self._start_lock:
            if self._running():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="kb-analytics", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
                if self._purged + PURGE_SECONDS < time.monotonic():
                    self.purge()
            except Exception:  # the writer must outlive any one bad round
                log.exception("search analytics: the writer failed; it goes on")

    def close(self) -> None:
        """Stop the writer and write what is queued (at exit, and in tests)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()

    def flush(self) -> int:
        """Write every queued event in one transaction; the number written."""
        with self._flush_lock:
            events = []
            while True:
                try:
                    events.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not events and not self._pending:
                return 0
            try:
                rows = self._pending + [self._row(e) for e in events]
            except (SQLAlchemyError, OSError) as exc:  # the day's salt could not be read
                for event in events:
                    self._queue.put(event)
                log.warning("search analytics: %d events wait for the database: %s", len(events), exc)
                return 0
            try:
                with self.engine.begin() as connection:
                    connection.execute(EVENTS.insert(), rows)
            except (SQLAlchemyError, OSError) as exc:
                # Keep them for the next round, but never more than the queue may hold.
                self._pending = rows[-MAX_QUEUE:]
                log.warning("search analytics: %d events wait for the database: %s", len(rows), exc)
                return 0
            self._pending = []
            return len(rows)

    def _row(self, event: Event) -> dict:
        """The stored row of `event`: text masked, client hashed."""
        row = dict(vars(event))  # shallow: asdict() deep-copies every field, the writer's main cost
        client, at = row.pop("client"), row.pop("at")
        day = local_day(at)
        query = clean_text(event.query)
        row.update(query=query, normalized=normalize(query), created_at=at, day=day,
                   session=self.session(client, day), article_id=(event.article_id or "")[:500] or None,
                   lang=event.lang if event.lang in ("zh", "en") else None)
        return row

    def session(self, client: str, day: str) -> str:
        """The session hash of `client` on `day`: its address and browser with the day's salt."""
        return hashlib.sha256(f"{daily_salt(self.engine, day)}\n{client}".encode()).hexdigest()[:16]

    def purge(self, now: dt.datetime | None = None) -> None:
        """Delete analytics, conversations, hand-overs and votes older than `keep_days`."""
        self._purged = time.monotonic()
        cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=self.keep_days)
        try:
            with self.engine.begin() as connection:
                for table in (EVENTS, TURNS, HANDOVERS, FEEDBACK):
                    connection.execute(delete(table).where(table.c.created_at < cutoff))
        except SQLAlchemyError as exc:
            log.warning("search analytics: purge failed: %s", exc)


_salts: dict[tuple[int, str], str] = {}  # (engine, day) → salt, the latest day only


def daily_salt(engine: Engine, day: str) -> str:
    """The random salt of `day`, shared by every process through the database (`salts`): the
    analytics session hashes and the votes' visitor hashes use it. Older days' salts are
    deleted. An event of a day whose salt is already gone (queued just before midnight)
    takes the newest salt."""
    key = (id(engine), day)
    if key in _salts:
        return _salts[key]
    with engine.begin() as connection:
        newest = connection.execute(select(SALTS.c.day, SALTS.c.salt)
                                    .order_by(SALTS.c.day.desc()).limit(1)).first()
    if newest is not None and newest.day > day:
        return newest.salt
    salt = newest.salt if newest is not None and newest.day == day else None
    if salt is None:
        try:
            with engine.begin() as connection:
                connection.execute(SALTS.insert().values(day=day, salt=secrets.token_hex(32)))
                connection.execute(delete(SALTS).where(SALTS.c.day < day))
        except IntegrityError:
            pass  # another process chose it first
        with engine.begin() as connection:
            salt = connection.execute(select(SALTS.c.salt).where(SALTS.c.day == day)).scalar_one()
    _salts.clear()
    _salts[key] = salt
    return salt


def local_day(at: dt.datetime | None = None) -> str:
    """The server's local date of `at` (default: now), as YYYY-MM-DD."""
    return (at or dt.datetime.now(dt.UTC)).astimezone().date().isoformat()


def init_app(app, engine: Engine) -> None:
    recorder = Recorder(engine, app.config["KB_LOG"], app.config["KB_LOG_DAYS"])
    app.extensions["kb_analytics"] = recorder
    if recorder.enabled:
        recorder.purge()
    app.jinja_env.globals.update(tracked_url=tracked_url)


def recorder() -> Recorder:
    return current_app.extensions["kb_analytics"]


def client() -> str:
    """Who is asking, to be hashed: address and browser of this request."""
    return f"{request.remote_addr or ''}\n{request.headers.get('User-Agent', '')[:300]}"


def api_channel() -> str:
    """`console` for the agent console (its signed-in session), `api` for every other API client."""
    return "console" if "Authorization" not in request.headers and session_is_agent() else "api"


def session_hash() -> str:
    """The session hash of this request's client today."""
    return recorder().session(client(), local_day())


def vote_origin(query: str, channel: str) -> dict:
    """The analytics columns of a vote: the masked query, channel, interface language and
    session hash; with `KB_LOG=off`, none of them (the vote itself still counts)."""
    if not recorder().enabled:
        return {"query": ""}
    return {"query": clean_text(query), "channel": channel, "lang": g.get("ui_lang"),
            "session": session_hash()}


def record(kind: str, channel: str, **fields) -> None:
    """Record one event of this request (see `Event` for the fields)."""
    fields.setdefault("lang", g.get("ui_lang"))
    recorder().record(Event(kind, channel, client=client(), **fields))


def record_visit(article_id: str, channel: str) -> None:
    """A click or a suggestion pick that led here, told by the link's parameters:
    `q` (what was searched or typed), `rank` (1-based position) and `via`
    (`suggest` for a type-ahead pick, `bot` for a link the answer bot showed).
    Links from other sites are not counted."""
    from web.feedback import is_same_site

    q = request.args.get("q", "")
    if not q.strip() or not is_same_site():
        return
    via = request.args.get("via", "")
    rank = request.args.get("rank", "")
    position = int(rank) if rank.isascii() and rank.isdigit() and 0 < int(rank) <= 1000 else None
    record("pick" if via == "suggest" else "click", "bot" if via == "bot" else channel, query=q,
           article_id=article_id, position=position)


def tracked_url(url: str, q: str, rank: int | None = None, via: str | None = None) -> str:
    """`url` with the parameters that let its visit count as a click on a result of `q`."""
    parts = urlsplit(url)
    params = {"q": q[:MAX_TEXT]}
    if rank is not None:
        params["rank"] = str(rank)
    if via:
        params["via"] = via
    query = (parts.query + "&" if parts.query else "") + urlencode(params)
    return parts.path + "?" + query + ("#" + parts.fragment if parts.fragment else "")


def language_of(text: str) -> str:
    """`zh` when the text has Chinese characters, else `en`."""
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"
