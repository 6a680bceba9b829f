"""The JSON API through Flask's test client, against a real index."""

import pytest


def test_search_contract(client):
    response = client.get("/api/search", query_string={"q": "提现多久到账"})
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["query", "took_ms", "total", "answers", "articles", "suggested", "did_you_mean",
                          "confidence"]
    answer_keys = {"article_id", "title", "heading", "anchor", "text", "snippet", "url", "score"}
    assert answer_keys <= set(body["answers"][0])
    assert {"id", "title", "summary", "category", "lang", "tags", "url", "snippet", "score"} <= set(
        body["articles"][0])
    assert body["articles"][0]["id"] == "faq-withdraw" and len(body["answers"]) <= 3


@pytest.mark.parametrize("query_string, status", [
    ({}, 400), ({"q": "  "}, 400), ({"q": "x", "limit": "ten"}, 400), ({"q": "x", "lang": "fr"}, 400),
])
def test_bad_requests_are_json_400(client, query_string, status):
    response = client.get("/api/search", query_string=query_string)
    assert response.status_code == status and "error" in response.get_json()


def test_limit_is_capped(client):
    body = client.get("/api/search", query_string={"q": "付款 退款 提现 账户", "limit": 1}).get_json()
    assert len(body["articles"]) == 1 and body["total"] > 1


def test_suggest(client):
    body = client.get("/api/suggest", query_string={"q": "退"}).get_json()
    assert body["suggestions"][0] == {"text": "退款多久到账", "article_id": "refund-timeline",
                                      "url": "/articles/refund-timeline"}


def test_articles_list_and_one(client):
    body = client.get("/api/articles", query_string={"lang": "en"}).get_json()
    assert body["total"] == 3 and {a["lang"] for a in body["articles"]} == {"en"}
    article = client.get("/api/articles/en/refund").get_json()
    assert article["title"] == "Where is my refund?" and article["sections"][0]["anchor"] == "refund-timeline"
    assert client.get("/api/articles/nope").status_code == 404
    assert client.get("/api/articles/nope").get_json()["error"]


def test_internal_articles_do_not_exist_for_the_public(client, agent_headers):
    assert client.get("/api/articles/ops/escalation").status_code == 404
    assert client.get("/api/search", query_string={"q": "升级二线"}).get_json()["articles"] == []
    assert "ops/escalation" not in [a["id"] for a in client.get("/api/articles").get_json()["articles"]]
    assert client.get("/api/suggest", query_string={"q": "升级"}).get_json()["suggestions"] == []

    article = client.get("/api/articles/ops/escalation", headers=agent_headers).get_json()
    assert article["visibility"] == "internal"
    hit = client.get("/api/search", query_string={"q": "升级二线"}, headers=agent_headers).get_json()
    assert hit["articles"][0]["visibility"] == "internal"


def test_wrong_token_is_401(client):
    response = client.get("/api/search", query_string={"q": "x"}, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401 and response.get_json() == {"error": "invalid agent token"}


def test_healthz_tells_the_public_only_the_status(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_details_are_for_agents(client, agent_headers):
    body = client.get("/healthz", headers=agent_headers).get_json()
    assert body["status"] == "ok" and body["articles"] == 9 and body["errors"] == [] and body["indexed_at"]


def test_healthz_is_degraded_while_an_article_is_broken(client, agent_headers, kb_dir, built_index):
    from search.indexer import sync_index

    (kb_dir / "ops/escalation.md").write_text("---\ntitle: x\nsummary: 'password=Tr0ub4dor&3\n---\n", "utf-8")
    sync_index(kb_dir, built_index)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "degraded"}
    assert b"ops/escalation" not in response.data and b"Tr0ub4dor" not in response.data
    details = client.get("/healthz", headers=agent_headers).get_json()
    assert details["status"] == "degraded" and details["errors"][0]["path"] == "ops/escalation.md"


def test_healthz_is_degraded_without_an_index(client, built_index):
    import shutil
    import time

    shutil.rmtree(built_index)
    time.sleep(0.6)  # the index notices within half a second
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "degraded"}


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json
