"""The public help center: home, search results, articles and categories.

Pages are rendered on the server and work without JavaScript; scripts only add
type-ahead and the feedback buttons. Listings and searches prefer the interface
language (`web.language`); the other language's articles follow, labelled.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, render_template, request, send_file

from kb.links import media_file
from web import analytics, current_index, feedback
from web.auth import session_is_agent
from web.i18n import t
from web.language import search_preferring
from web.ratelimit import public_limit
from web.render import article_html, fragment_html
from web.site import current_site
from web.translations import translations_of

bp = Blueprint("helpcenter", __name__)
RECENT = 6
PAGE_SIZE = 50  # articles per category page
RESULTS_PER_PAGE = 10
MAX_RESULT_PAGES = 100


def _categories() -> dict[str, list[dict]]:
    """{"mine": categories with articles in the interface language, "others": the rest}.

    A category is one entry whatever languages it holds (its count is every article in it)."""
    merged: dict[str, dict] = {}
    for c in current_index().categories(internal=session_is_agent()):
        entry = merged.setdefault(c["name"], {"name": c["name"], "count": 0, "langs": set()})
        entry["count"] += c["count"]
        entry["langs"].add(c["lang"])
    categories = sorted(merged.values(), key=lambda c: c["name"])
    for c in categories:
        c["lang"] = g.ui_lang if g.ui_lang in c["langs"] else sorted(c["langs"])[0]
    return {"mine": [c for c in categories if c["lang"] == g.ui_lang],
            "others": [c for c in categories if c["lang"] != g.ui_lang]}


def _recent() -> list[dict]:
    return current_index().list_articles(limit=RECENT, lang=g.ui_lang, sort="updated", internal=False)[1]


def _popular() -> list[dict]:
    """The articles readers found most helpful; recently updated ones until there are votes."""
    voted = current_index().lookup(feedback.most_helpful(RECENT * 4))
    in_language = [a for a in voted if a["lang"] == g.ui_lang] or voted
    return in_language[:RECENT] or _recent()


CARD_MARKDOWN_CHARS = 800  # a longer section shows its snippet on the card, the page has the rest


def card_html(answer) -> str:
    """The answer card's body: the unit's Markdown rendered (tables stay tables) when it is short,
    else its snippet (already escaped, with <mark>)."""
    source = getattr(answer, "markdown", "") or ""
    if not source or len(answer.text) > CARD_MARKDOWN_CHARS:
        return answer.snippet
    return fragment_html(source, answer.article_id, current_index(), getattr(answer, "lang", "") or g.ui_lang)


def _page_arg(last: int = 10**6) -> int:
    """`?page=`: a whole number from 1 to `last`; anything else (`x`, `²`, `-1`) is page 1."""
    raw = request.args.get("page", "")
    try:
        page = int(raw) if raw.isascii() else 0
    except ValueError:
        return 1
    return page if 0 < page <= last else 1


def _page_count(total: int, size: int) -> int:
    return (total + size - 1) // size


@bp.app_template_global()
def page_url(page: int) -> str:
    """This page's URL (its query parameters kept) at another page number."""
    return "?" + urlencode({**request.args.to_dict(), "page": page})


@bp.get("/")
@public_limit
def home():
    return render_template("home.html", categories=_categories(), recent=_recent(), featured=_featured())


def _featured() -> list[dict]:
    """The site file's featured articles, the interface language's first."""
    found = current_index().lookup(list(current_site().featured), internal=False)
    return sorted(found, key=lambda a: a["lang"] != g.ui_lang)


@bp.get("/search")
@public_limit
def search():
    q = request.args.get("q", "").strip()
    only = request.args.get("in", "") if request.args.get("in", "") in ("zh", "en") else None
    category = request.args.get("category", "").strip() or None
    if not q:
        return home()
    page = _page_arg(MAX_RESULT_PAGES)
    offset = (page - 1) * RESULTS_PER_PAGE
    internal = session_is_agent()
    if only:
        results = current_index().search(q, limit=RESULTS_PER_PAGE, offset=offset, lang=only,
                                         category=category, internal=internal)
    else:
        results = search_preferring(current_index(), q, g.ui_lang, limit=RESULTS_PER_PAGE, offset=offset,
                                    category=category, internal=internal)
    analytics.record("search", "helpcenter", query=q, results=results.total, confidence=results.confidence)
    pages = min(_page_count(results.total, RESULTS_PER_PAGE), MAX_RESULT_PAGES)
    if page > 1 and not results.articles:
        abort(404)
    # Without a language filter the other language's articles come last, under their own heading.
    mine = [a for a in results.articles if only or a.lang == g.ui_lang]
    others = [a for a in results.articles if not (only or a.lang == g.ui_lang)]
    card_lang = next((a.lang for a in results.articles if results.answers
                      and a.id == results.answers[0].article_id), g.ui_lang)
    # The answer card only when the search is sure (confidence "high"); with "none" the no-results page.
    best = results.answers[0] if results.answers and page == 1 and results.confidence == "high" else None
    found = bool(results.articles) and results.confidence != "none"
    return render_template("search.html", q=q, results=results, lang_filter=only or "", card_lang=card_lang,
                           best=best, card_html=card_html(best) if best else "", found=found,
                           category_filter=category or "", categories=_categories(),
                           groups=[(None, mine), (t("other_lang_articles"), others)],
                           first_number=offset + 1, page=page, pages=pages,
                           popular=_popular() if not found else [])


@bp.get("/articles/<path:article_id>")
@public_limit
def article(article_id: str):
    found = current_index().get_article(article_id, internal=session_is_agent())
    if found is None:
        abort(404)
    analytics.record_visit(found["id"], "helpcenter")
    translations = translations_of(found, internal=session_is_agent())
    # The header's language switch opens the translation, when there is one, in its language.
    switch = next((f"{tr['url']}?lang={tr['lang']}" for tr in translations
                   if tr["lang"] == t("switch_lang_code")), None)
    html = article_html(found, current_index())
    return render_template("article.html", article=found, html=html, q=request.args.get("q", "")[:200],
                           translations=translations, switch_url=switch, reasons=feedback.REASONS)


@bp.get("/media/<path:relpath>")
@public_limit
def media(relpath: str):
    """Images and attachments under the articles folder (`![](shot.png)`, `/img/logo.svg`),
    served from this origin (CSP 'self'); nothing outside the folder, no Markdown sources,
    no `_`/`.` files."""
    found = media_file(Path(current_app.config["KB_ARTICLES"]), relpath)
    if found is None:
        abort(404)
    return send_file(found, max_age=3600)


@bp.get("/categories/<path:name>")
@public_limit
def category(name: str):
    page = _page_arg()
    total, articles = current_index().list_articles(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                                    category=name, internal=session_is_agent())
    if not total or not articles:
        abort(404)
    return render_template("category.html", name=name, articles=articles, total=total, page=page,
                           pages=_page_count(total, PAGE_SIZE))
