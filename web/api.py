"""The JSON API (`/api/...`) and `/healthz`. See the README for the contract.

Every error is JSON with the right status; internal articles exist only for
requests with a valid agent bearer token.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from search.searcher import MAX_OFFSET, IndexMissing
from web import analytics, current_index, feedback, handovers
from web.auth import InvalidToken, bearer_is_agent
from web.bodies import json_object
from web.language import search_preferring
from web.ratelimit import public_limit
from web.render import article_html
from web.translations import translations_of

bp = Blueprint("api", __name__)
LANGS = ("zh", "en")


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter, clamped to [low, high]; 400 if it is not a number."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    try:
        return max(low, min(int(raw), high))
    except ValueError:
        abort(400, description=f"`{name}` must be a whole number, not {raw[:40]!r}")


def lang_arg() -> str | None:
    lang = request.args.get("lang", "").strip()
    if lang and lang not in LANGS:
        abort(400, description=f"`lang` must be one of {', '.join(LANGS)}")
    return lang or None


@bp.get("/api/search")
@public_limit
def search():
    q = request.args.get("q", "")
    if not q.strip():
        abort(400, description="`q` is required: the words to search for")
    limit, offset, lang = int_arg("limit", 10, 1, 50), int_arg("offset", 0, 0, MAX_OFFSET), lang_arg()
    prefer = request.args.get("prefer", "").strip()
    if prefer and prefer not in LANGS:
        abort(400, description=f"`prefer` must be one of {', '.join(LANGS)}")
    category, internal = request.args.get("category", "").strip() or None, bearer_is_agent()
    if prefer and not lang:
        results = search_preferring(current_index(), q, prefer, limit=limit, offset=offset, category=category,
                                    internal=internal)
    else:
        results = current_index().search(q, limit=limit, offset=offset, lang=lang, category=category,
                                         internal=internal)
    analytics.record("search", analytics.api_channel(), lang=lang or analytics.language_of(q), query=q,
                     results=results.total, confidence=results.confidence)
    return jsonify(results.to_dict())


@bp.get("/api/suggest")
@public_limit
def suggest():
    suggestions = current_index().suggest(request.args.get("q", ""), limit=int_arg("limit", 8, 1, 20),
                                          internal=bearer_is_agent())
    return jsonify({"suggestions": suggestions})


@bp.get("/api/articles")
@public_limit
def list_articles():
    sort = request.args.get("sort", "title")
    if sort not in ("title", "updated"):
        abort(400, description="`sort` must be `title` or `updated`")
    total, articles = current_index().list_articles(
        limit=int_arg("limit", 50, 0, 200), offset=int_arg("offset", 0, 0, 10**9),
        category=request.args.get("category", "").strip() or None, lang=lang_arg(),
        internal=bearer_is_agent(), sort=sort)
    return jsonify({"total": total, "articles": articles})


@bp.get("/api/articles/<path:article_id>")
@public_limit
def get_article(article_id: str):
    internal = bearer_is_agent()
    article = current_index().get_article(article_id, internal=internal)
    if article is None:
        abort(404, description=f"no article with id {article_id[:100]!r}")
    analytics.record_visit(article["id"], analytics.api_channel())
    html = article_html(article, current_index())
    public = {k: v for k, v in article.items() if k not in ("source", "hash")}  # front matter stays home
    return jsonify({**public, "html": html, "translations": translations_of(article, internal)})


def feedback_json(shape: str) -> dict:
    """The JSON object a page of this site posted; 403 from elsewhere, 400 if it is not one."""
    if not feedback.is_same_site():
        abort(403, description="feedback must come from this site")
    return json_object(shape)


@bp.post("/api/feedback")
@public_limit
def post_feedback():
    """Record a "was this helpful?" vote: {"article_id", "helpful", "query"}, and "conversation"
    for a vote on an answer of the bot."""
    body = feedback_json('{"article_id", "helpful", "query", "conversation"}')
    article_id, helpful, query = body.get("article_id"), body.get("helpful"), body.get("query", "")
    conversation = body.get("conversation")
    if not isinstance(article_id, str) or not isinstance(helpful, bool) or not isinstance(query, str):
        abort(400, description="`article_id` must be text, `helpful` true or false, `query` text")
    if current_index().get_article(article_id, internal=bearer_is_agent()) is None:
        abort(404, description=f"no article with id {article_id[:100]!r}")
    if conversation is not None and not (handovers.owns(conversation)
                                         and handovers.answered_article(conversation, article_id)):
        abort(404, description="no such conversation, or the bot did not show this article in it")
    channel = "bot" if conversation else "api" if "Authorization" in request.headers else "helpcenter"
    vote_id = feedback.record_vote(article_id, helpful, query, channel, conversation)
    return jsonify({"ok": True, "vote": feedback.vote_token(vote_id)}), 201


@bp.post("/api/feedback/reason")
@public_limit
def post_feedback_reason():
    """What a "not helpful" vote says was missing: {"vote", "reason", "comment"}, both optional."""
    body = feedback_json('{"vote", "reason", "comment"}')
    if not isinstance(body.get("vote"), str):
        abort(400, description="`vote` must be the token the vote was answered with")
    reason, comment = body.get("reason") or "", body.get("comment") or ""
    if reason not in ("", *feedback.REASONS):
        abort(400, description=f"`reason` must be one of {', '.join(feedback.REASONS)}")
    if not isinstance(comment, str) or len(comment) > feedback.MAX_COMMENT:
        abort(400, description=f"`comment` must be text of at most {feedback.MAX_COMMENT} characters")
    vote_id = feedback.vote_of(body["vote"])
    if vote_id is None or not feedback.record_reason(vote_id, reason, comment):
        abort(404, description="no such \"not helpful\" vote (or it is more than a day old)")
    return jsonify({"ok": True})


@bp.get("/healthz")
def healthz():
    """`{"status": "ok" | "degraded"}` for everyone (degraded: index problems, or no index);
    agents also get the article count, when the index was written and its problems."""
    try:
        health = current_index().health()
    except IndexMissing:
        return jsonify({"status": "degraded"}), 503
    status = "degraded" if health["errors"] else "ok"
    if not bearer_is_agent():
        return jsonify({"status": status})
    return jsonify({**health, "status": status})


@bp.errorhandler(InvalidToken)
def invalid_token(_exc):
    response = jsonify({"error": "invalid agent token"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="kb"'
    return response


@bp.errorhandler(IndexMissing)
def index_missing(exc):
    return jsonify({"error": str(exc)}), 503
