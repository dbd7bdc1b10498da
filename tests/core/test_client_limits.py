"""Per-client limits on search and the API: anonymous clients per address, users per account
(higher); 429 with Retry-After (JSON for the API); cached shared pages do not count."""

from __future__ import annotations

import pytest

from apps.core import ratelimit
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db

NOW = 1_800_000_010.0  # 10 s into a minute: the window cannot roll over during a test


@pytest.fixture(autouse=True)
def _small_limits(settings, monkeypatch):
    settings.SEARCH_RATE_PER_MINUTE = 3
    settings.SEARCH_USER_RATE_PER_MINUTE = 5
    settings.API_RATE_PER_MINUTE = 2
    settings.API_USER_RATE_PER_MINUTE = 4
    monkeypatch.setattr(ratelimit.time, "time", lambda: NOW)


def search(client, q: str, ip: str = "203.0.113.7", **headers):
    return client.get("/papers/search", {"q": q}, REMOTE_ADDR=ip, headers=headers)


def test_anonymous_search_is_limited_per_address(client):
    statuses = [search(client, f"query {i}").status_code for i in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = search(client, "another")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert "private" in refused["Cache-Control"]
    assert "Too many requests from your address" in refused.content.decode()
    # Another client is not affected.
    assert search(client, "query 0", ip="198.51.100.1").status_code == 200


def test_a_spoofed_forwarded_for_does_not_give_a_fresh_count(client, settings):
    settings.TRUSTED_PROXIES = []
    statuses = [
        search(client, f"q{i}", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_one_ipv6_network_counts_as_one_client(client):
    statuses = [search(client, f"q{i}", ip=f"2001:db8:1:2::{i + 1}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_logged_in_users_are_counted_per_account_with_a_higher_limit(client):
    for i in range(3):
        search(client, f"anonymous {i}")
    client.force_login(make_user())

    statuses = [search(client, f"user {i}").status_code for i in range(6)]

    assert statuses == [200] * 5 + [429]
    assert "Too many requests from your account" in search(client, "x").content.decode()


def test_api_answers_429_in_json_with_retry_after(client):
    paper = make_paper()
    urls = ["/api/daily_papers", f"/api/papers/{paper.arxiv_id}", "/api/papers/search?q=x"]

    responses = [client.get(url, REMOTE_ADDR="203.0.113.9") for url in urls]

    assert [response.status_code for response in responses] == [200, 200, 429]
    refused = responses[2]
    assert refused.json() == {
        "error": "Too many requests from your address. Wait a minute and try again."
    }
    assert refused["Retry-After"] == "50"
    assert refused["Access-Control-Allow-Origin"] == "*"


def test_cached_shared_pages_do_not_count_new_queries_do(client, shared_cache_on):
    repeated = [search(client, "same query").status_code for _ in range(10)]
    assert repeated == [200] * 10  # one miss (counted), then hits from the page cache

    new_queries = [search(client, f"new query {i}").status_code for i in range(3)]
    assert new_queries == [200, 200, 429]
