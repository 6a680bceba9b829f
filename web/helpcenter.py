"""The public help center: home, search results, articles and categories.

Pages are rendered on the server and work without JavaScript; scripts only add
type-ahead and the feedback buttons.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request

from web import analytics, current_index, feedback
from web.auth import session_is_agent

bp = Blueprint("helpcenter", __name__)
RECENT = 6
PAGE_SIZE = 50  # articles per category page



def _categories() -> list[dict]:
    """Categories of the interface language first, then the others."""
    categories = current_index().categories(internal=session_is_agent())
    return sorted(categories, key=lambda c: (c["lang"] != g.ui_lang, c["name"]))


def _recent() -> list[dict]:
    return current_index().list_articles(limit=RECENT, lang=g.ui_lang, sort="updated", internal=False)[1]


def _popular() -> list[dict]:
    """The articles readers found most helpful; recently updated ones until there are votes."""
    voted = current_index().lookup(feedback.most_helpful(RECENT * 4))
    in_language = [a for a in voted if a["lang"] == g.ui_lang] or voted
    return in_language[:RECENT] or _recent()


@bp.get("/")
def home():
    return render_template("home.html", categories=_categories(), recent=_recent())


@bp.get("/search")
def search():
    q = request.args.get("q", "").strip()
    lang = request.args.get("in", "") if request.args.get("in", "") in ("zh", "en") else None
    category = request.args.get("category", "").strip() or None
    if not q:
        return home()
    results = current_index().search(q, limit=10, lang=lang, category=category, internal=session_is_agent())
    analytics.record("search", "helpcenter", query=q, results=results.total, confidence=results.confidence)
    return render_template("search.html", q=q, results=results, lang_filter=lang or "",
                           category_filter=category or "", categories=_categories(),
                           popular=_popular() if not results.articles else [])


@bp.get("/articles/<path:article_id>")
def article(article_id: str):
    found = current_index().get_article(article_id, internal=session_is_agent())
    if found is None:
        abort(404)
    analytics.record_visit(found["id"], "helpcenter")
    return render_template("article.html", article=found, q=request.args.get("q", "")[:200])


@bp.get("/categories/<path:name>")
def category(name: str):
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1
    total, articles = current_index().list_articles(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                                    category=name, internal=session_is_agent())
    if not total or not articles:
        abort(404)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    return render_template("category.html", name=name, articles=articles, total=total, page=page, pages=pages)
