"""The JSON API (`/api/...`) and `/healthz`. See the README for the contract.

Every error is JSON with the right status; internal articles exist only for
requests with a valid agent bearer token.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from search.searcher import IndexMissing
from web import current_index, feedback
from web.auth import InvalidToken, bearer_is_agent
from web.bodies import json_object
from web.ratelimit import public_limit

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
    results = current_index().search(q, limit=int_arg("limit", 10, 1, 50), lang=lang_arg(),
                                     category=request.args.get("category", "").strip() or None,
                                     internal=bearer_is_agent())
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
    article = current_index().get_article(article_id, internal=bearer_is_agent())
    if article is None:
        abort(404, description=f"no article with id {article_id[:100]!r}")
    return jsonify(article)


@bp.post("/api/feedback")
@public_limit
def post_feedback():
    """Record a "was this helpful?" vote: {"article_id", "helpful", "query"}."""
    if not feedback.is_same_site():
        abort(403, description="feedback must come from this site")
    body = json_object('{"article_id", "helpful", "query"}')
    article_id, helpful, query = body.get("article_id"), body.get("helpful"), body.get("query", "")
    if not isinstance(article_id, str) or not isinstance(helpful, bool) or not isinstance(query, str):
        abort(400, description="`article_id` must be text, `helpful` true or false, `query` text")
    if current_index().get_article(article_id, internal=bearer_is_agent()) is None:
        abort(404, description=f"no article with id {article_id[:100]!r}")
    feedback.record_vote(article_id, helpful, query[:200], feedback.voter_id())
    return jsonify({"ok": True}), 201


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
