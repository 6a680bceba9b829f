"""Request bodies (issue 13 item 4): capped in size; malformed or deeply nested JSON is a 400, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import AGENT_TOKEN

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def test_a_large_json_body_is_refused_with_413(client):
    padding = "x" * 100_000
    response = client.post("/api/feedback", headers=SAME_SITE,
                           json={"article_id": "refund-timeline", "helpful": True, "query": padding})
    assert response.status_code == 413 and "error" in response.get_json()


def test_a_large_body_without_json_is_refused_too(client):
    response = client.post("/api/feedback", data=b"{" + b" " * 2_000_000 + b"}", headers=SAME_SITE,
                           content_type="application/json")
    assert response.status_code == 413


def test_forms_are_capped_as_well(client):
    response = client.post("/agent/sign-in", data={"csrf": "x", "token": "t" * 200_000})
    assert response.status_code == 413


@pytest.mark.parametrize("body", [
    "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 100_000,
    '{"article_id": "refund-timeline", "helpful": tru', "\x00\xff", '"just a string"', "1e999999",
])
def test_malformed_or_nested_json_is_400(client, body):
    response = client.post("/api/feedback", data=body.encode("utf-8", "surrogateescape")[:4000],
                           headers=SAME_SITE, content_type="application/json")
    assert response.status_code == 400, response.status_code
    assert "error" in response.get_json()


def test_a_normal_vote_still_works(client):
    response = client.post("/api/feedback", headers={**SAME_SITE, "Authorization": f"Bearer {AGENT_TOKEN}"},
                           json={"article_id": "refund-timeline", "helpful": True, "query": "退款" * 100})
    assert response.status_code == 201
