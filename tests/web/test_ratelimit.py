"""Rate limits: the public API answers 429 JSON over its limit; sign-in attempts are limited."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kb.config import ConfigError, Settings
from tests.conftest import AGENT_TOKEN, eventually, free_port, make_app
from tests.web.test_pages import csrf_of


@pytest.fixture
def limited_app(kb_dir, built_index):
    return make_app(kb_dir, built_index, KB_RATE_LIMIT="3 per minute", KB_SIGN_IN_LIMIT="2 per minute")


def test_public_api_over_the_limit_is_429_json(limited_app):
    client = limited_app.test_client()
    statuses = [client.get("/api/search", query_string={"q": "退款"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get("/api/suggest", query_string={"q": "退"})
    assert response.status_code == 429 and "error" in response.get_json()
    assert response.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200  # monitoring is never limited
    other = limited_app.test_client()
    assert other.get("/api/search", query_string={"q": "退款"},
                     environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200  # per address


def test_agents_are_not_limited(limited_app):
    client = limited_app.test_client()
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert all(client.get("/api/search", query_string={"q": "退款"}, headers=headers).status_code == 200
               for _ in range(6))


@pytest.fixture
def auth_limited_app(kb_dir, built_index):
    """Two failed authentications a minute, and room for everything else."""
    return make_app(kb_dir, built_index, KB_RATE_LIMIT="100 per minute", KB_SIGN_IN_LIMIT="2 per minute")


def test_sign_in_attempts_are_limited(auth_limited_app):
    client = auth_limited_app.test_client()
    csrf = csrf_of(client.get("/agent/").get_data(as_text=True))
    codes = [client.post("/agent/sign-in", data={"csrf": csrf, "token": f"guess-{n}"}).status_code
             for n in range(3)]
    assert codes == [401, 401, 429]
    response = client.post("/agent/sign-in", data={"csrf": csrf, "token": AGENT_TOKEN})
    assert response.status_code == 429 and "请求太频繁" in response.get_data(as_text=True)
    assert client.get("/agent/").status_code == 200  # only failed attempts are counted


@pytest.mark.parametrize("name", ["KB_RATE_LIMIT", "KB_SIGN_IN_LIMIT"])
def test_a_bad_limit_is_a_config_error(kb_dir, name):
    with pytest.raises(ConfigError, match=name):
        Settings.load(str(kb_dir), environ={name: "lots"})


def test_the_search_page_shares_the_public_limit(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/api/search", query_string={"q": "退款"}).status_code == 200
    response = client.get("/search", query_string={"q": "退款"})
    assert response.status_code == 429 and "请求太频繁" in response.get_data(as_text=True)


def example_url(rule) -> str:
    """A URL for `rule` with placeholder values for its variables."""
    return re.sub(r"<[^>]+>", lambda m: "1" if m.group(0).startswith("<int:") else "x", rule.rule)


def test_every_public_page_and_api_is_rate_limited(kb_dir, built_index):
    """New endpoints must use the one policy (`web.ratelimit.public_limit`): a second request over a
    one-request budget is 429 everywhere except the exempt endpoints."""
    app = make_app(kb_dir, built_index, KB_RATE_LIMIT="1 per minute", KB_SIGN_IN_LIMIT="1000 per minute")
    exempt = {"static", "api.healthz"}
    checked = []
    for n, rule in enumerate(app.url_map.iter_rules()):
        if rule.endpoint in exempt:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.1.{n // 250}.{n % 250}"}
        url = example_url(rule)
        client.open(url, method=method, environ_base=address)
        second = client.open(url, method=method, environ_base=address)
        assert second.status_code == 429, (rule.rule, method, second.status_code)
        checked.append(rule.endpoint)
    assert {"helpcenter.search", "helpcenter.home", "api.search", "api.post_feedback",
            "agent.do_sign_in"} <= set(checked)


def test_bearer_guesses_and_sign_in_share_one_failure_limit(kb_dir, built_index):
    limited_app = make_app(kb_dir, built_index, KB_RATE_LIMIT="100 per minute",
                           KB_SIGN_IN_LIMIT="2 per minute")
    client = limited_app.test_client()
    wrong = {"Authorization": "Bearer " + "w" * 40}
    codes = [client.get("/api/search", query_string={"q": "x"}, headers=wrong).status_code for _ in range(2)]
    assert codes == [401, 401]
    right = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    response = client.get("/api/search", query_string={"q": "x"}, headers=right)
    assert response.status_code == 429 and response.headers["Retry-After"]  # no more guesses, right or not
    csrf = csrf_of(client.get("/agent/").get_data(as_text=True))
    assert client.post("/agent/sign-in", data={"csrf": csrf, "token": AGENT_TOKEN}).status_code == 429
    other = limited_app.test_client()  # another address is not affected
    assert other.get("/api/search", query_string={"q": "x"}, headers=right,
                     environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 200


def test_successful_sign_ins_do_not_count_as_failures(auth_limited_app):
    from tests.web.test_pages import sign_in

    assert sign_in(auth_limited_app.test_client(), "w" * 40).status_code == 401
    for _ in range(4):
        assert sign_in(auth_limited_app.test_client()).status_code == 302
@pytest.mark.parametrize("value", ["redis", "localhost:6379", "carrier-pigeon://loft"])
def test_a_bad_rate_limit_storage_is_a_config_error(kb_dir, value):
    with pytest.raises(ConfigError, match="KB_RATE_LIMIT_STORAGE"):
        Settings.load(str(kb_dir), environ={"KB_RATE_LIMIT_STORAGE": value})


def test_a_rate_limit_storage_that_does_not_answer_stops_the_start(kb_dir, built_index):
    with pytest.raises(ConfigError, match="KB_RATE_LIMIT_STORAGE: 'redis://127.0.0.1:1/0' does not answer"):
        make_app(kb_dir, built_index, KB_RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0")


def test_counters_in_redis_are_shared_by_every_process(kb_dir, built_index, redis_url):
    """Two apps (as two replicas would) on one Redis: the second sees what the first counted."""
    import redis

    app = make_app(kb_dir, built_index, KB_RATE_LIMIT="3 per minute", KB_RATE_LIMIT_STORAGE=redis_url)
    statuses = [app.test_client().get("/api/search", query_string={"q": "退款"}).status_code
                for _ in range(2)]
    assert statuses == [200, 200]
    assert any(redis.Redis.from_url(redis_url).scan_iter("*LIMITER/*"))  # counted in Redis, not in memory
    other = make_app(kb_dir, built_index, KB_RATE_LIMIT="3 per minute", KB_RATE_LIMIT_STORAGE=redis_url)
    statuses = [other.test_client().get("/api/search", query_string={"q": "退款"}).status_code
                for _ in range(2)]
    assert statuses == [200, 429]


@pytest.mark.e2e
def test_when_redis_stops_answering_the_site_goes_on_counting_in_memory(kb_dir, built_index):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    port = free_port()
    redis_server = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        eventually(lambda: _answers(url), timeout=10)
        client = make_app(kb_dir, built_index, KB_RATE_LIMIT="3 per minute",
                          KB_RATE_LIMIT_STORAGE=url).test_client()
        assert client.get("/api/search", query_string={"q": "退款"}).status_code == 200
    finally:
        redis_server.kill()
        redis_server.wait()
    statuses = [client.get("/api/search", query_string={"q": "退款"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # no errors, and still a limit: this process's own count


def _answers(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url).ping()
    except redis.RedisError:
        return False
