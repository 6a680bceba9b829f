"""Request bodies: every body is capped, and JSON bodies are read in one place.

`MAX_BODY` caps every request (Flask's `MAX_CONTENT_LENGTH`; forms included): a larger
body is 413 before it is read. JSON endpoints read their body with `json_object()`,
which caps it lower (`JSON_LIMIT`, a few KB) and turns anything that is not a JSON
object — malformed, not UTF-8, nested deeper than the parser allows — into a 400 with
a JSON error, never a 500:

    @bp.post("/api/something")
    @public_limit
    def something():
        body = json_object('{"question": "..."}')   # a dict, or the request ends in 400/413
"""

from __future__ import annotations

import json

from flask import abort, request

MAX_BODY = 64 * 1024
JSON_LIMIT = 8 * 1024


def json_object(shape: str, limit: int = JSON_LIMIT) -> dict:
    """The request's JSON object; `shape` shows the expected body in the 400 message."""
    request.max_content_length = limit
    if not request.is_json:
        abort(400, description=f"send a JSON object (Content-Type: application/json): {shape}")
    data = request.get_data(cache=True)  # 413 past `limit`, with or without Content-Length
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        abort(400, description=f"send a JSON object: {shape}")
    return body
