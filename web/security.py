"""Security headers on every response: a strict Content-Security-Policy (no inline
script, nothing from other hosts), no MIME sniffing, no framing, no referrer leaks.

Every response but static files may carry internal content (an agent's bearer token or
session decides what a page or API answer holds), so none of them is stored by a
browser or a shared cache: `Cache-Control: private, no-store` and
`Vary: Authorization, Cookie`."""

from flask import request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def init_app(app) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.update(("Authorization", "Cookie"))
        return response
