"""With Redis down, pages render and writes go through (rate limits, caches and task queuing
fail open and log), /healthz names Redis, and everything uses Redis again once it is back.

Cache and broker point at a private ``redis-server`` (tests/servers.py) that the tests stop
and start; the shared servers are never touched.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
import redis
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.urls import reverse

from apps.comments.models import Comment
from apps.core import failopen
from apps.core.ratelimit import Rate, RateLimitExceeded, ratelimit_hit
from apps.core.tasks import send_email
from apps.users.models import User
from apps.votes.models import Vote
from tests.factories import PASSWORD, make_entry, make_paper, make_user, verify_for_log_in
from tests.servers import RedisServer, point_celery_at

pytestmark = pytest.mark.django_db

EMAIL = {"subject": "s", "body": "b", "to": ["a@example.org"]}
# Each request below must answer quickly: failing open may not mean waiting on timeouts.
FAST = 3.0


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_private_redis(redis_server, settings, fast_password_hasher):
    """Cache and broker on the private server (running at the start of each test)."""
    if redis_server.process is None:
        redis_server.start()
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": redis_server.url(1)},
    }
    previous = point_celery_at(redis_server.url(0), redis_server.url(2))
    failopen.reset()
    yield redis_server
    point_celery_at(*previous)
    failopen.reset()


@pytest.fixture
def redis_down(on_private_redis):
    on_private_redis.stop()
    return on_private_redis


@pytest.fixture
def paper():
    paper = make_paper(arxiv_id="2410.09692")
    make_entry(day=paper.published_on, paper=paper)
    return paper


@pytest.fixture
def member(client):
    user = verify_for_log_in(make_user("ada"))
    client.force_login(user)
    return user


def timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    assert time.monotonic() - started < FAST
    return response


def test_paper_page_renders_for_visitors_and_members(client, redis_down, paper):
    assert timed(client.get, f"/papers/{paper.arxiv_id}").status_code == 200
    make_paper(arxiv_id="2410.00001", title="A study of things, again")  # similar papers
    verify_for_log_in(make_user("bob"))
    client.force_login(User.objects.get(username="bob"))
    response = timed(client.get, f"/papers/{paper.arxiv_id}")
    assert response.status_code == 200
    assert paper.title in response.content.decode()
    assert timed(client.get, "/").status_code == 200  # the cached cards


def test_shared_pages_render_without_redis(client, redis_down, paper, shared_cache_on):
    for _ in range(2):
        response = timed(client.get, f"/papers/{paper.arxiv_id}")
        assert response.status_code == 200
        assert paper.title in response.content.decode()


def test_vote_is_saved(client, redis_down, paper, member):
    response = timed(client.post, f"/papers/{paper.arxiv_id}/vote", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert Vote.objects.filter(user=member, paper=paper).exists()


def test_comment_is_posted_and_previewed(
    client, redis_down, paper, member, django_capture_on_commit_callbacks
):
    make_user("grace")
    with django_capture_on_commit_callbacks(execute=True):
        response = timed(
            client.post,
            f"/papers/{paper.arxiv_id}/comments",
            {"body": "Nice result, @grace"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert Comment.objects.filter(author=member, paper=paper).exists()
    preview = timed(client.post, "/comments/preview", {"body": "**b**"}, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    assert "<strong>b</strong>" in preview.content.decode()


def test_log_in(client, redis_down):
    verify_for_log_in(make_user("ada"))
    response = timed(
        client.post, reverse("account_login"), {"login": "ada@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_sign_up_saves_the_account_though_its_email_cannot_be_queued(
    client, redis_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = timed(
            client.post,
            reverse("account_signup"),
            {"email": "grace@example.org", "username": "grace",
             "password1": PASSWORD, "password2": PASSWORD},
        )  # fmt: skip
    assert response.status_code == 302
    assert EmailAddress.objects.filter(email="grace@example.org", verified=False).exists()
    assert "could not queue apps.core.tasks.send_email" in caplog.text


def test_password_reset(client, redis_down, django_capture_on_commit_callbacks):
    verify_for_log_in(make_user("ada"))
    with django_capture_on_commit_callbacks(execute=True):
        response = timed(
            client.post, reverse("account_reset_password"), {"email": "ada@example.org"}
        )
    assert response.status_code == 302


def test_healthz_names_redis(client, redis_down):
    response = timed(client.get, "/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]


def test_rate_limits_fail_open_and_an_outage_is_logged_once_a_while(redis_down, caplog):
    rate = Rate(limit=1, window=60, message="slow down")
    with caplog.at_level(logging.WARNING, logger="apps.core.failopen"):
        for _ in range(20):
            ratelimit_hit(scope="test", key="k", rate=rate)  # never raises while Redis is down
            cache.get("anything")
    outage_lines = [r for r in caplog.records if r.name == "apps.core.failopen"]
    assert len(outage_lines) == 1
    assert "Redis" in outage_lines[0].getMessage()


def test_queuing_a_task_fails_open(redis_down, caplog):
    assert not failopen.enqueue(send_email, kwargs=EMAIL)
    assert "could not queue apps.core.tasks.send_email" in caplog.text


def test_everything_uses_redis_again_once_it_is_back(client, on_private_redis, paper, settings):
    server = on_private_redis
    rate = Rate(limit=1, window=60, message="slow down")
    server.stop()
    assert client.get(f"/papers/{paper.arxiv_id}").status_code == 200
    assert not failopen.enqueue(send_email, kwargs=EMAIL)
    assert client.get("/healthz").status_code == 503

    server.start()  # same port, empty
    failopen.reset()  # the retry pause of a failed connection is over (tested below)
    assert client.get("/healthz").status_code == 200
    cache.set("probe", "back")
    assert cache.get("probe") == "back"
    ratelimit_hit(scope="test", key="k", rate=rate)
    with pytest.raises(RateLimitExceeded):
        ratelimit_hit(scope="test", key="k", rate=rate)
    assert failopen.enqueue(send_email, kwargs=EMAIL)
    broker = redis.Redis.from_url(server.url(0))
    assert broker.llen("celery") == 1


def test_after_a_failure_redis_is_left_alone_for_a_moment_then_tried_again(
    on_private_redis, monkeypatch
):
    monkeypatch.setattr(failopen, "RETRY_AFTER_SECONDS", 0.5)
    on_private_redis.stop()
    assert cache.get("probe", "default") == "default"  # fails, opens the circuit
    on_private_redis.start()
    cache.set("probe", "skipped")  # not even tried
    assert cache.get("probe", "default") == "default"
    time.sleep(0.5)
    cache.set("probe", "stored")
    assert cache.get("probe") == "stored"


def test_every_task_is_queued_through_enqueue():
    """A task queued with .delay() or .apply_async() raises while the broker is down."""
    apps = Path(__file__).resolve().parent.parent.parent / "apps"
    offenders = [
        f"{path.relative_to(apps.parent)}:{number}"
        for path in apps.rglob("*.py")
        if path.name != "failopen.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.(delay|apply_async)\(", line)
    ]
    assert offenders == []
