"""The JSON API (`/api/...`) and `/healthz`. See the README for the contract.

Every error is JSON with the right status; internal articles exist only for
requests with a valid agent bearer token.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from search.searcher import IndexMissing
from web import analytics, current_index, feedback, handovers
from web.auth import InvalidToken, bearer_is_agent
from web.ratelimit import api_limit

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
@api_limit
def search():
    q = request.args.get("q", "")
    if not q.strip():
        abort(400, description="`q` is required: the words to search for")
    lang = lang_arg()
    results = current_index().search(q, limit=int_arg("limit", 10, 1, 50), lang=lang,
                                     category=request.args.get("category", "").strip() or None,
                                     internal=bearer_is_agent())
    analytics.record("search", analytics.api_channel(), lang=lang or analytics.language_of(q), query=q,
                     results=results.total, confidence=results.confidence)
    return jsonify(results.to_dict())


@bp.get("/api/suggest")
@api_limit
def suggest():
    suggestions = current_index().suggest(request.args.get("q", ""), limit=int_arg("limit", 8, 1, 20),
                                          internal=bearer_is_agent())
    return jsonify({"suggestions": suggestions})


@bp.get("/api/articles")
@api_limit
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
@api_limit
def get_article(article_id: str):
    article = current_index().get_article(article_id, internal=bearer_is_agent())
    if article is None:
        abort(404, description=f"no article with id {article_id[:100]!r}")
    analytics.record_visit(article["id"], analytics.api_channel())
    return jsonify(article)


@bp.post("/api/feedback")
@api_limit
def post_feedback():
    """Record a "was this helpful?" vote: {"article_id", "helpful", "query"}, and "conversation"
    for a vote on an answer of the bot."""
    if not feedback.is_same_site():
        abort(403, description="feedback must come from this site")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object: {\"article_id\", \"helpful\", \"query\"}")
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
    feedback.record_vote(article_id, helpful, query, channel, conversation)
    return jsonify({"ok": True}), 201


@bp.get("/healthz")
def healthz():
    return jsonify(current_index().health())


@bp.errorhandler(InvalidToken)
def invalid_token(_exc):
    response = jsonify({"error": "invalid agent token"})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="kb"'
    return response


@bp.errorhandler(IndexMissing)
def index_missing(exc):
    return jsonify({"error": str(exc)}), 503
