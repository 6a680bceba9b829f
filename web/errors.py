"""Error responses: JSON for the API, pages in the interface language for people.
No stack trace is ever shown."""

from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            response = jsonify({"error": exc.description or exc.name})
        else:
            response = make_response(render_template("error.html", code=exc.code))
        response.status_code = exc.code
        for name, value in exc.get_headers():  # Retry-After, Allow, WWW-Authenticate...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            return jsonify({"error": "internal error"}), 500
        return render_template("error.html", code=InternalServerError.code), 500
