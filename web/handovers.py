"""The answer bot's conversations and their hand-overs to a person, in the site's database.

A conversation is a random id, owned by the visitor who started it: the ids a
visitor owns are kept in their signed session cookie. An id the session does not
hold — forged, guessed, or another customer's — is no conversation at all for that
visitor: asking starts a new one, handing over answers 404. Nobody but agents ever
reads a conversation back.

Each question is stored as a turn: the masked question and what the bot showed.
A hand-over points at its conversation, so the agent sees every turn and every vote
of it, however late they came. Claiming is one conditional UPDATE, so of two agents
claiming at once exactly one gets the customer, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from flask import session
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from web import database
from web.bot import Reply
from web.database import FEEDBACK, HANDOVERS, TURNS

CHATS_KEY = "chats"
MAX_OWNED = 5  # conversations a visitor's session remembers
MAX_TURNS = 50  # questions stored per conversation; later ones are answered, not stored
STATUSES = ("open", "claimed", "all")


# -- owning conversations ---------------------------------------------------------------------------
def owns(conversation) -> bool:
    """Whether this visitor started `conversation`."""
    return isinstance(conversation, str) and conversation in session.get(CHATS_KEY, [])


def start() -> str:
    """A new conversation, owned by this visitor."""
    conversation = secrets.token_urlsafe(16)
    session[CHATS_KEY] = [conversation, *session.get(CHATS_KEY, [])][:MAX_OWNED]
    return conversation


def current() -> str | None:
    """The visitor's latest conversation, if any."""
    chats = session.get(CHATS_KEY) or []
    return chats[0] if chats else None


def forget() -> None:
    """Start afresh: the next question opens a new conversation."""
    session[CHATS_KEY] = [None, *session.get(CHATS_KEY, [])][:MAX_OWNED]


# -- turns ------------------------------------------------------------------------------------------
def shown(reply: Reply) -> dict:
    """What the customer saw of `reply`, as stored with the turn."""
    answer = reply.answer
    return {
        "answer": {"article_id": answer.article_id, "title": answer.title, "heading": answer.heading,
                   "text": answer.text, "url": answer.url} if answer else None,
        "articles": [{"id": a.id, "title": a.title, "url": a.url} for a in reply.articles],
        "handover": {"offered": reply.handover, "reason": reply.reason},
    }


def add_turn(conversation: str, question: str, lang: str, reply: Reply) -> None:
    """Store one question (already masked) and the bot's reply, unless the conversation is full."""
    with database.engine().begin() as connection:
        count = connection.execute(select(func.count()).where(TURNS.c.conversation == conversation)).scalar()
        if count < MAX_TURNS:
            connection.execute(TURNS.insert().values(
                conversation=conversation, lang=lang, question=question, confidence=reply.confidence,
                shown=json.dumps(shown(reply), ensure_ascii=False)))


def turns(conversations: list[str]) -> dict[str, list[dict]]:
    """The turns of each conversation, oldest first, each with the vote cast on its answer."""
    if not conversations:
        return {}
    with database.engine().connect() as connection:
        rows = connection.execute(select(TURNS).where(TURNS.c.conversation.in_(conversations))
                                  .order_by(TURNS.c.id)).mappings().all()
        votes = connection.execute(select(FEEDBACK.c.conversation, FEEDBACK.c.article_id, FEEDBACK.c.helpful)
                                   .where(FEEDBACK.c.conversation.in_(conversations))
                                   .order_by(FEEDBACK.c.id)).all()
    voted = {(c, a): bool(h) for c, a, h in votes}  # the last vote on an answer counts
    out: dict[str, list[dict]] = {c: [] for c in conversations}
    for row in rows:
        seen = json.loads(row["shown"])
        answer = seen["answer"]
        out[row["conversation"]].append({
            "at": iso(row["created_at"]), "question": row["question"], "lang": row["lang"],
            "confidence": row["confidence"], **seen,
            "vote": voted.get((row["conversation"], answer["article_id"])) if answer else None})
    return out


def has_turns(conversation: str) -> bool:
    with database.engine().connect() as connection:
        return connection.execute(select(TURNS.c.id).where(TURNS.c.conversation == conversation)
                                  .limit(1)).first() is not None


def voted_not_helpful(conversation: str) -> bool:
    """Whether the customer voted an answer of `conversation` unhelpful."""
    with database.engine().connect() as connection:
        return connection.execute(select(FEEDBACK.c.id).where(
            and_(FEEDBACK.c.conversation == conversation, FEEDBACK.c.helpful.is_(False))).limit(1)
        ).first() is not None


def answered_article(conversation: str, article_id: str) -> bool:
    """Whether the bot showed `article_id` in `conversation` (so a vote on it belongs there)."""
    return any(article_id == (t["answer"] or {}).get("article_id") or
               article_id in (a["id"] for a in t["articles"]) for t in turns([conversation])[conversation])


# -- hand-overs -------------------------------------------------------------------------------------
def reason_for(conversation_turns: list[dict], not_helpful: bool) -> str:
    """Why the customer needed a person: what the bot offered last, else an unhelpful answer,
    else they simply asked (the 转人工 button is always there)."""
    last = conversation_turns[-1]["handover"] if conversation_turns else {}
    if last.get("offered") and last.get("reason"):
        return last["reason"]
    return "not_helpful" if not_helpful else "asked_for_human"


def create(conversation: str, contact: str, note: str) -> tuple[int, bool, str]:
    """Hand `conversation` over: (id, whether it is new, reason). Handing the same conversation
    over again returns the same hand-over, with the contact and note updated when given."""
    conversation_turns = turns([conversation])[conversation]
    reason = reason_for(conversation_turns, voted_not_helpful(conversation))
    lang = conversation_turns[0]["lang"] if conversation_turns else None  # the language it began in
    engine = database.engine()
    try:
        with engine.begin() as connection:
            new_id = connection.execute(HANDOVERS.insert().values(
                conversation=conversation, lang=lang, reason=reason, contact=contact, note=note)
            ).inserted_primary_key[0]
        return new_id, True, reason
    except IntegrityError:
        pass  # handed over before
    with engine.begin() as connection:
        existing = connection.execute(select(HANDOVERS.c.id, HANDOVERS.c.reason)
                                      .where(HANDOVERS.c.conversation == conversation)).one()
        changes = {k: v for k, v in (("contact", contact), ("note", note)) if v}
        if changes:
            connection.execute(update(HANDOVERS).where(HANDOVERS.c.id == existing.id).values(**changes))
    return existing.id, False, existing.reason


def handover_of(conversation: str) -> dict | None:
    """The hand-over of `conversation` ({"id", "created_at"}), if it was handed over."""
    with database.engine().connect() as connection:
        row = connection.execute(select(HANDOVERS.c.id, HANDOVERS.c.created_at)
                                 .where(HANDOVERS.c.conversation == conversation)).first()
    return {"id": row.id, "created_at": iso(row.created_at)} if row else None


def listing(agent: str, status: str = "open", limit: int = 50) -> list[dict]:
    """Hand-overs, newest first, each with its whole conversation."""
    query = select(HANDOVERS).order_by(HANDOVERS.c.id.desc()).limit(limit)
    if status == "open":
        query = query.where(HANDOVERS.c.claimed_by.is_(None))
    elif status == "claimed":
        query = query.where(HANDOVERS.c.claimed_by.is_not(None))
    with database.engine().connect() as connection:
        rows = connection.execute(query).mappings().all()
    conversation_turns = turns([row["conversation"] for row in rows])
    out = []
    for row in rows:
        history = conversation_turns[row["conversation"]]
        out.append({
            "id": row["id"], "created_at": iso(row["created_at"]), "lang": row["lang"],
            "reason": row["reason"], "contact": row["contact"], "note": row["note"],
            "status": "claimed" if row["claimed_by"] else "open", "claimed_by": row["claimed_by"],
            "claimed_by_me": row["claimed_by"] == agent, "claimed_at": iso(row["claimed_at"]),
            "last_question": next((t["question"] for t in reversed(history) if t["question"]), ""),
            "turns": history})
    return out


def claim(handover_id: int, agent: str) -> str | None:
    """Claim a hand-over for `agent`: "claimed" (now or before, by them), "taken" (by another
    agent), or None when there is no such hand-over. Atomic: one UPDATE … WHERE unclaimed."""
    with database.engine().begin() as connection:
        claimed = connection.execute(
            update(HANDOVERS).where(and_(HANDOVERS.c.id == handover_id, HANDOVERS.c.claimed_by.is_(None)))
            .values(claimed_by=agent, claimed_at=dt.datetime.now(dt.UTC))).rowcount
        if claimed == 1:
            return "claimed"
        holder = connection.execute(select(HANDOVERS.c.claimed_by)
                                    .where(HANDOVERS.c.id == handover_id)).first()
    if holder is None:
        return None
    return "claimed" if holder.claimed_by == agent else "taken"


def iso(moment: dt.datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC (SQLite returns it without its zone)."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat(timespec="seconds")
