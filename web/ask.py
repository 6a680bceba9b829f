"""The answer bot on the web: `POST /api/ask`, hand-overs (`/api/handovers`) and the
no-JavaScript `/ask` page, which runs the same conversation with plain forms.

The "Ask us" panel of every help-center page (`templates/_ask.html`, `static/ask.js`)
talks to the JSON API; agents see hand-overs in the console
(`templates/agent/_handovers.html`, `static/handovers.js`) through `GET /api/handovers`.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from kb.privacy import EMAIL, PHONE
from web import analytics, current_index, feedback, handovers
from web.agent import check_csrf, csrf_token
from web.analytics import clean_text
from web.auth import InvalidToken, agent_name
from web.bodies import json_object
from web.bot import Reply, reply
from web.ratelimit import handover_limit, public_limit

bp = Blueprint("ask", __name__)
MAX_CONVERSATION_ID = 64
MAX_CONTACT = 200
MAX_NOTE = 2000


def converse(question: str, conversation, lang: str) -> tuple[str, Reply]:
    """Answer `question` in the visitor's `conversation` (a new one if it is not theirs)."""
    if not handovers.owns(conversation):
        conversation = handovers.start()
    earlier = [turn["question"] for turn in handovers.turns([conversation])[conversation]]
    answer = reply(current_index(), question, handovers.voted_not_helpful(conversation), earlier)
    handovers.add_turn(conversation, clean_text(question), lang, answer)
    # A follow-up is recorded as searched (with its topic): 信用卡的呢 alone says nothing of a gap.
    analytics.record("ask", "bot", lang=lang, query=answer.searched or question, results=answer.found,
                     confidence=answer.confidence if answer.found is not None else None,
                     article_id=answer.answer.article_id if answer.answer else None, reason=answer.reason,
                     conversation=conversation)
    return conversation, answer


def hand_over(conversation: str, contact: str, note: str) -> tuple[int, bool]:
    """Hand the visitor's conversation to a person: (hand-over id, whether it is new).
    The note is masked like every question; the contact keeps a phone number or e-mail
    address (the customer gave it to be called back on), never a card or ID number."""
    contact = clean_text(contact, MAX_CONTACT, keep=frozenset((PHONE, EMAIL)))
    handover_id, created, reason = handovers.create(conversation, contact, clean_text(note, MAX_NOTE))
    if created:
        analytics.record("handover", "bot", reason=reason, conversation=conversation)
    return handover_id, created


# -- JSON API ---------------------------------------------------------------------------------------
def optional_text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        abort(400, description=f"`{name}` must be text of at most {limit} characters")
    return value


@bp.post("/api/ask")
@public_limit
def api_ask():
    body = json_object('{"question": "...", "conversation": "<id, optional>", "lang": "zh|en, optional"}')
    question, conversation, lang = body.get("question"), body.get("conversation"), body.get("lang")
    if not isinstance(question, str) or not question.strip():
        abort(400, description="`question` must be text that is not blank")
    if conversation is not None and not (isinstance(conversation, str)
                                         and len(conversation) <= MAX_CONVERSATION_ID):
        abort(400, description=f"`conversation` must be an id of at most {MAX_CONVERSATION_ID} characters")
    if lang not in (None, "", "zh", "en"):
        abort(400, description="`lang` must be zh or en")
    conversation, answer = converse(question, conversation, lang or analytics.language_of(question))
    return jsonify({"conversation": conversation, **answer.to_dict()})


@bp.post("/api/handovers")
@public_limit
@handover_limit
def api_create_handover():
    if not feedback.is_same_site():
        abort(403, description="hand-overs must come from this site")
    body = json_object('{"conversation": "<id>", "contact": "...optional", "note": "...optional"}')
    conversation = body.get("conversation")
    contact, note = optional_text(body, "contact", MAX_CONTACT), optional_text(body, "note", MAX_NOTE)
    if not handovers.owns(conversation) or not handovers.has_turns(conversation):
        abort(404, description="no such conversation")
    handover_id, created = hand_over(conversation, contact, note)
    return jsonify({"id": handover_id}), 201 if created else 200


def require_agent() -> str:
    """The agent of this request (bearer token or console session); 401 JSON otherwise."""
    try:
        name = agent_name()
    except InvalidToken:
        name = None
    if name is None:
        abort(401, description="an agent token is required")
    return name


@bp.get("/api/handovers")
@public_limit
def api_list_handovers():
    agent = require_agent()
    status = request.args.get("status", "open")
    if status not in handovers.STATUSES:
        abort(400, description=f"`status` must be one of {', '.join(handovers.STATUSES)}")
    limit = request.args.get("limit", "50")
    limit = max(1, min(int(limit), 200)) if limit.isascii() and limit.isdigit() else 50
    return jsonify({"handovers": handovers.listing(agent, status, limit)})


@bp.post("/api/handovers/<int:handover_id>/claim")
@public_limit
def api_claim_handover(handover_id: int):
    agent = require_agent()
    if not feedback.is_same_site():
        abort(403, description="claims must come from this site")
    outcome = handovers.claim(handover_id, agent)
    if outcome is None:
        abort(404, description=f"no hand-over {handover_id}")
    if outcome == "taken":
        abort(409, description="another agent has taken this customer")
    return jsonify({"id": handover_id, "claimed_by": agent})


# -- the /ask page, without JavaScript ----------------------------------------------------------------
@bp.get("/ask")
@public_limit
def page():
    conversation = handovers.current()
    history = handovers.turns([conversation])[conversation] if handovers.owns(conversation) else []
    handed = handovers.handover_of(conversation) if history else None
    return render_template("ask.html", history=history, handed=handed, csrf=csrf_token())


@bp.post("/ask")
@public_limit
def page_ask():
    check_csrf()
    question = request.form.get("question", "")
    if question.strip():
        converse(question[:MAX_NOTE], handovers.current(), g.ui_lang)
    return redirect(url_for("ask.page") + "#latest", code=303)


@bp.post("/ask/vote")
@public_limit
def page_vote():
    check_csrf()
    conversation, article_id = handovers.current(), request.form.get("article_id", "")
    if not handovers.owns(conversation) or not handovers.answered_article(conversation, article_id):
        abort(404)
    feedback.record_vote(article_id, request.form.get("helpful") == "1", _last_question(conversation), "bot",
                         conversation)
    return redirect(url_for("ask.page") + "#latest", code=303)


@bp.post("/ask/handover")
@public_limit
@handover_limit
def page_handover():
    check_csrf()
    conversation = handovers.current()
    if not handovers.owns(conversation) or not handovers.has_turns(conversation):
        abort(404)
    hand_over(conversation, request.form.get("contact", ""), request.form.get("note", ""))
    return redirect(url_for("ask.page") + "#latest", code=303)


@bp.post("/ask/new")
@public_limit
def page_new():
    check_csrf()
    handovers.forget()
    return redirect(url_for("ask.page"), code=303)


def _last_question(conversation: str) -> str:
    history = handovers.turns([conversation])[conversation]
    return history[-1]["question"] if history else ""
