"""The shared page cache: one copy of an anonymous page for everyone, never a wrong one."""

import datetime as dt
import gzip

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from apps.comments.services import comment_create
from apps.core import failopen, shared_cache
from apps.moderation.services import comment_hide
from apps.votes.services import vote_toggle
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_moderator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache_on")]

DAY = dt.date(2026, 11, 26)
DAY_URL = "/papers/date/2026-11-26"


@pytest.fixture
def paper():
    paper = make_paper(arxiv_id="2410.09692", title="Cached wisdom", upvotes=0)
    make_entry(paper=paper, day=DAY)
    return paper


def _vote_count(response) -> str:
    html = response.content.decode()
    start = html.index('class="vote-count">') + len('class="vote-count">')
    return html[start : html.index("<", start)]


def test_second_anonymous_view_is_served_from_the_cache_without_the_database(
    client, paper, django_assert_num_queries
):
    first = client.get(DAY_URL)
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(DAY_URL)
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert not second.cookies
    assert not first.cookies
    assert second["Cache-Control"] == "public, max-age=0, s-maxage=10"
    vary = {part.strip() for part in second["Vary"].split(",")}
    assert vary == {"HX-Request", "Cookie", "Accept-Encoding"}


def test_pages_are_gzipped_for_clients_that_accept_it(client, paper):
    plain = client.get(DAY_URL)
    zipped = client.get(DAY_URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 2


def test_revalidation_answers_304_without_a_body(client, paper):
    first = client.get(DAY_URL)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"')
    again = client.get(DAY_URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "Cookie" in again["Vary"]
    by_date = client.get(DAY_URL, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert by_date.status_code == 304
    assert client.get(DAY_URL, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_a_vote_shows_on_the_next_anonymous_view(client, paper, django_capture_on_commit_callbacks):
    assert _vote_count(client.get(DAY_URL)) == "0"
    assert _vote_count(client.get(f"/papers/{paper.arxiv_id}")) == "0"
    with django_capture_on_commit_callbacks(execute=True):
        vote_toggle(user=make_user(), item=paper)
    day = client.get(DAY_URL)
    assert day["X-Cache"] == "miss"
    assert _vote_count(day) == "1"
    assert _vote_count(client.get(f"/papers/{paper.arxiv_id}")) == "1"


def test_a_hot_page_is_rendered_at_most_once_per_staleness_window(
    client, paper, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.SHARED_CACHE_STALE_SECONDS = 2
    now = [1_000_000.0]
    monkeypatch.setattr(shared_cache.time, "time", lambda: now[0])
    client.get(DAY_URL)
    with django_capture_on_commit_callbacks(execute=True):
        vote_toggle(user=make_user(), item=paper)
    now[0] += 1.5
    stale = client.get(DAY_URL)
    assert stale["X-Cache"] == "hit"
    assert _vote_count(stale) == "0"
    now[0] += 0.6  # the copy is now older than the window: the vote shows
    fresh = client.get(DAY_URL)
    assert fresh["X-Cache"] == "miss"
    assert _vote_count(fresh) == "1"


def test_comments_and_moderation_show_on_the_next_view(
    client, paper, django_capture_on_commit_callbacks
):
    url = f"/papers/{paper.arxiv_id}"
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(author=make_user(), paper=paper, body="A sharp remark")
    assert "A sharp remark" in client.get(url).content.decode()
    moderator = make_moderator()
    with django_capture_on_commit_callbacks(execute=True):
        comment_hide(moderator=moderator, comment=comment, reason="spam")
    page = client.get(url).content.decode()
    assert "A sharp remark" not in page
    assert "removed by a moderator" in page


def test_a_rolled_back_write_leaves_the_cached_copy(client, paper):
    client.get(DAY_URL)
    version = cache.get(shared_cache.VERSION_KEY)
    vote_toggle(user=make_user(), item=paper)  # the test's transaction never commits
    assert cache.get(shared_cache.VERSION_KEY) == version
    assert client.get(DAY_URL)["X-Cache"] == "hit"


def test_logged_in_users_never_get_a_shared_copy(client, paper):
    anonymous = client.get(DAY_URL)
    ada, alan = make_user("zebediah"), make_user("quentin")
    ada_client, alan_client = Client(), Client()
    ada_client.force_login(ada)
    alan_client.force_login(alan)
    ada_page = ada_client.get(DAY_URL)
    alan_page = alan_client.get(DAY_URL)
    assert "X-Cache" not in ada_page
    assert "X-Cache" not in alan_page
    assert ada_page["Cache-Control"] == "private, no-cache"
    assert "zebediah" in ada_page.content.decode()
    assert "zebediah" not in alan_page.content.decode()
    assert "csrfmiddlewaretoken" in ada_page.content.decode()
    assert ada_page.content != anonymous.content
    # ... and what they saw was not stored for visitors either.
    cache.clear()
    ada_client.get(DAY_URL)
    visitor = client.get(DAY_URL)
    assert visitor["X-Cache"] == "miss"
    assert "zebediah" not in visitor.content.decode()


def test_requests_with_a_messages_cookie_or_another_query_are_not_served_a_copy(client, paper):
    client.get(DAY_URL)
    assert client.get(f"{DAY_URL}?p=1")["X-Cache"] == "miss"
    assert client.get(DAY_URL, HTTP_HX_REQUEST="true")["X-Cache"] == "miss"
    client.cookies["messages"] = "something"
    assert "X-Cache" not in client.get(DAY_URL)


def test_errors_and_pages_not_marked_shared_are_not_stored(client, paper):
    assert client.get("/papers/date/2026-11-27")["X-Cache"] == "miss"  # an empty day is a page
    missing = client.get("/papers/2101.00001")
    assert missing.status_code == 404
    assert "X-Cache" not in missing
    assert "X-Cache" not in client.get("/digest")


def test_pages_still_render_when_redis_is_down(client, paper, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.ReusedClientRedisCache",  # fails open, as deployed
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    try:
        response = client.get("/api/daily_papers?date=2026-11-26")
        assert response.status_code == 200
        assert response.json()[0]["paper"]["id"] == paper.arxiv_id
    finally:
        failopen.reset()  # the next tests' Redis is up: no pause left over from this outage


@pytest.mark.parametrize(
    ("sql", "watched"),
    [
        ('INSERT INTO "votes_vote" ("user_id", "paper_id") VALUES (%s, %s)', True),
        ("WITH removed AS (DELETE FROM votes_vote WHERE user_id = %(user)s) SELECT 1", True),
        ('UPDATE "papers_paper" SET "trending_score" = 1', True),
        ('DELETE FROM "comments_comment" WHERE "id" = %s', True),
        ('UPDATE "users_user" SET "display_name" = %s WHERE "id" = %s', True),
        ('UPDATE "users_user" SET "last_login" = %s WHERE "users_user"."id" = %s', False),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
        ('UPDATE "notifications_notification" SET "read_at" = %s', False),
        ('SELECT "papers_paper"."id" FROM "papers_paper" FOR UPDATE', False),
    ],
)
def test_writes_to_tables_shared_pages_show_are_watched(sql, watched):
    assert shared_cache._writes_watched_table(sql) is watched


def test_an_ingest_changes_the_shared_pages(client, paper, django_capture_on_commit_callbacks):
    client.get(DAY_URL)
    version = cache.get(shared_cache.VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        make_paper(arxiv_id="2410.09693", authors=["Grace Hopper"])
    assert cache.get(shared_cache.VERSION_KEY) != version


def test_copies_into_watched_tables_count_as_writes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        shared_cache.copied_into(connection, "django_session")
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        shared_cache.copied_into(connection, "papers_authorship")
    assert callbacks == [shared_cache.pages_changed]
