"""Error responses: JSON for the API, pages in the interface language for people.
No stack trace is ever shown."""

from __future__ import annotations

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return jsonify({"error": exc.description or exc.name}), exc.code
        return render_template("error.html", code=exc.code), exc.code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            return jsonify({"error": "internal error"}), 500
        return render_template("error.html", code=InternalServerError.code), 500
