"""Phone numbers in text and HTML become `tel:` links, so a phone user can tap to call.

Mainland numbers as they are written in articles and messages: hotlines
(`400-800-1234`, `800 820 1234`) and numbers with an area code (`021-12345678`).
Text inside links, code and preformatted blocks is left alone.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

PHONE = re.compile(r"(?<![\w+-])(?:[48]00[- ]?\d{3}[- ]?\d{4}|0\d{2,3}-\d{7,8})(?![\w-])")
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
_SKIPPED = {"a", "code", "pre", "script", "style", "textarea"}


def phone_links(value: str) -> Markup:
    """`value` (text, or `Markup` HTML) with every phone number outside links wrapped in a tel: link."""
    html = value if isinstance(value, Markup) else escape(value)
    out, inside = [], 0
    for part in _TAG.split(str(html)):
        tag = _TAG_NAME.match(part) if part.startswith("<") else None
        if tag and tag.group(2).lower() in _SKIPPED and not part.endswith("/>"):
            inside = max(0, inside - 1) if tag.group(1) else inside + 1
        elif not part.startswith("<") and not inside:
            part = PHONE.sub(_link, part)
        out.append(part)
    return Markup("".join(out))


def _link(match: re.Match) -> str:
    number = match.group(0)
    return f'<a class="tel" href="tel:{re.sub(r"[^0-9]", "", number)}">{number}</a>'


def init_app(app) -> None:
    app.jinja_env.filters["phone_links"] = phone_links
