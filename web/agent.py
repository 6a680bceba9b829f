"""The agent console: sign in with an agent token, then search as you type.

Everything under /agent needs a signed-in agent; without one the sign-in page is
shown, never content. Forms carry a per-session token against cross-site posts.
Sessions are server-side (`web.sessions`); signing out ends one everywhere.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from web import current_index, sessions
from web.auth import session_is_agent, sign_in, sign_out
from web.ratelimit import public_limit

bp = Blueprint("agent", __name__, url_prefix="/agent")
CSRF_KEY = "csrf"


def csrf_token() -> str:
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(24)
    return session[CSRF_KEY]


def check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not sent or not secrets.compare_digest(sent, session.get(CSRF_KEY, "")):
        abort(400, description="the form expired; reload the page")


def sign_in_page(failed: bool) -> str:
    """The sign-in form; without any configured token, the reason nobody can sign in instead."""
    return render_template("agent/sign_in.html", csrf=csrf_token(), failed=failed,
                           configured=bool(current_app.config["KB_AGENT_TOKENS"]))


@bp.get("/")
@public_limit
def console():
    if not session_is_agent():
        return sign_in_page(failed=False)
    health = current_index().health()
    return render_template("agent/console.html", csrf=csrf_token(), problems=health["errors"])


@bp.post("/sign-in")
@public_limit
def do_sign_in():
    check_csrf()
    session_id = sign_in(request.form.get("token", "").strip())
    if session_id is None:
        return sign_in_page(failed=True), 401
    session.clear()  # a new CSRF token with the new session
    response = redirect(url_for("agent.console"))
    sessions.set_cookie(response, session_id)
    return response


@bp.post("/sign-out")
@public_limit
def do_sign_out():
    check_csrf()
    sign_out()
    response = redirect(url_for("agent.console"))
    sessions.clear_cookie(response)
    return response
