"""Two `kb serve` replicas on one PostgreSQL database and one Redis, as a busy help center runs them:
each replica indexes the same articles folder into its own index; votes and rate-limit counters are
shared. Needs PostgreSQL and Redis (`.ci/services` starts them; elsewhere this skips)."""

from __future__ import annotations

import itertools
import json
import re
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, func, select

from tests.conftest import AGENT_TOKEN, kb_serve_process, running_kb_serve
from web.database import FEEDBACK

pytestmark = pytest.mark.e2e
AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}  # agents are not rate-limited
LIMIT = 12


def request(url: str, body: dict | None = None, headers: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


VISITORS = itertools.count(1)


def vote(base: str, article_id: str) -> int:
    """A vote from a new visitor (one vote per visitor and article: the same visitor's next vote
    would replace this one). The replicas trust one proxy, so `X-Forwarded-For` names the visitor."""
    n = next(VISITORS)
    body = {"article_id": article_id, "helpful": True, "query": "退款"}
    return request(base + "/api/feedback", body, {**AGENT, "X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"})


def popular(base: str) -> list[str]:
    """The articles a replica offers when it finds nothing: the most helpful ones, by votes."""
    req = urllib.request.Request(base + "/search?q=" + urllib.parse.quote("zzqxj"), headers=AGENT)
    html = urllib.request.urlopen(req, timeout=30).read().decode()
    section = re.search(r'<section class="no-results">(.*?)</section>', html, re.S).group(1)
    return re.findall(r'href="/articles/([^"#]+)"', section)


def votes_in(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(FEEDBACK)).scalar_one()
    engine.dispose()
    return count


def test_two_replicas_share_votes_and_limits_and_killing_one_loses_nothing(
        kb_dir, tmp_path, postgres_url, redis_url):
    env = {"KB_DATABASE_URL": postgres_url, "KB_RATE_LIMIT_STORAGE": redis_url,
           "KB_RATE_LIMIT": f"{LIMIT} per minute", "KB_SECRET_KEY": "one-key-for-every-replica",
           "KB_TRUSTED_PROXIES": "1"}
    with running_kb_serve(kb_dir, tmp_path / "a" / "index", env=env) as a, \
            kb_serve_process(kb_dir, tmp_path / "b" / "index", env=env) as (b, replica_b):
        # A vote on one replica counts on the other.
        assert popular(b) != ["refund-timeline"]
        assert vote(a, "refund-timeline") == 201
        assert popular(b) == ["refund-timeline"]

        # One rate limit for both: 2 × LIMIT public requests, alternating, get at most LIMIT answers.
        statuses = [request(base + "/api/search?q=" + urllib.parse.quote("退款"))
                    for _ in range(LIMIT) for base in (a, b)]
        assert 0 < statuses.count(200) <= LIMIT and statuses.count(429) >= LIMIT
        assert statuses[-2:] == [429, 429]  # both replicas refuse now

        # Killing a replica in the middle of a burst of votes loses none that it acknowledged.
        before, acknowledged, sent = votes_in(postgres_url), [], []

        def burst():
            for _ in range(200):
                sent.append(1)
                try:
                    if vote(b, "refund-timeline") == 201:
                        acknowledged.append(1)
                except OSError:
                    return  # the replica is gone

        voter = threading.Thread(target=burst)
        voter.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acknowledged) >= 10, "the replica acknowledged no burst of votes"
        replica_b.send_signal(signal.SIGKILL)
        voter.join()
        stored = votes_in(postgres_url) - before
        assert len(acknowledged) <= stored <= len(sent)
        # The other replica goes on answering, and its votes land beside the killed one's.
        assert vote(a, "refund-timeline") == 201
        assert votes_in(postgres_url) - before == stored + 1
        assert request(a + "/api/search?q=" + urllib.parse.quote("退款"), headers=AGENT) == 200
