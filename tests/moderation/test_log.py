"""The public moderation log and its Atom feed: open to everyone without a cookie, newest first,
filterable (bad filters are a 400), and never showing who flagged, private notes, the user an
action concerns, or an email address."""

from __future__ import annotations

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.log import log_action
from apps.moderation.models import ModerationAction
from apps.users.models import User
from tests.factories import make_paper
from tests.moderation.conftest import make_member, make_moderator

pytestmark = pytest.mark.django_db

Action = ModerationAction.Action
LOG = reverse("moderation:log")
FEED = reverse("moderation:log_feed")


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def history(moderator):
    """A log with something private behind each entry: flaggers with their own words, a
    comment's author, moderators' notes, a banned account."""
    author = make_member("authoralice")
    paper = make_paper(title="Graphs of things")
    hidden = comment_create(author=author, paper=paper, body="First, rude.")
    for name in ("flaggerfrank", "flaggerfay", "flaggerfred"):  # the threshold hides it
        services.flag_create(
            user=make_member(name), item=hidden, reason="other", text="whisper-from-flagger"
        )
    removed = comment_create(author=author, paper=paper, body="Second, ruder.")
    services.comment_hide(
        moderator=moderator, comment=removed, reason="Personal attack.", note="private-note-one"
    )
    services.user_ban(
        moderator=make_moderator("othermod"),
        user=make_member("spammer"),
        reason="Spam links.",
        note="private-note-two",
    )
    return {"hidden": hidden, "removed": removed}


def entries_of(html: str) -> int:
    return html.count('class="log-entry"')


# --- The page -----------------------------------------------------------------------------


def test_the_log_shows_who_did_what_on_which_item_when_and_why(client, history):
    response = client.get(LOG)

    assert response.status_code == 200
    html = response.content.decode()
    assert entries_of(html) == 3
    # Newest first: the ban, the removal, the comment hidden by flags.
    listing = html[html.index('class="log-list"') :]
    assert listing.index("banned a user") < listing.index("removed a comment")
    assert listing.index("removed a comment") < listing.index("community flags")
    assert '<a class="log-who" href="/users/othermod">@othermod</a>' in html
    assert '<a class="log-who" href="/users/mod">@mod</a>' in html
    assert f'href="{history["removed"].get_absolute_url()}"' in html
    assert "Personal attack." in html
    assert "Spam links." in html
    assert "Hidden pending review after 3 flags." in html
    feed_link = (
        '<link rel="alternate" type="application/atom+xml" title="Paperboard: moderation log"'
    )
    assert f'{feed_link} href="{FEED}">' in html


@pytest.mark.parametrize("who", ["anonymous", "member", "moderator"])
def test_the_log_and_feed_never_show_flaggers_notes_subjects_or_emails(client, history, who):
    if who == "member":
        client.force_login(make_member("reader"))
    elif who == "moderator":  # the log stays public even for moderators
        client.force_login(User.objects.get(username="mod"))
    pages = [client.get(LOG).content.decode(), client.get(FEED).content.decode()]
    pages += [client.get(LOG, {"type": "comment"}).content.decode()]

    for text in pages:
        assert "flaggerf" not in text
        assert "whisper-from-flagger" not in text
        assert "private-note" not in text
        assert "authoralice" not in text  # whom an action concerns
        assert "@example.org" not in text


def test_an_anonymous_visit_sets_no_cookie(client, history):
    for params in ({}, {"action": "comment_hide"}, {"action": "nonsense"}, {"page": "2"}):
        response = client.get(LOG, params)
        assert response.status_code in (200, 400)
        assert not response.cookies, params
    assert not client.get(FEED).cookies


def test_a_moderator_sees_the_area_tabs_on_the_log(client, history, moderator):
    client.force_login(moderator)
    html = client.get(LOG).content.decode()
    assert f'href="{reverse("moderation:flags")}"' in html
    assert 'id="queue-count-flags"' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"moderator": "mod"}, ["removed a comment"]),
        ({"moderator": "@OtherMod"}, ["banned a user"]),
        ({"action": "user_ban"}, ["banned a user"]),
        ({"action": "comment_hide"}, ["removed a comment"]),
        ({"action": "comment_flagged"}, ["hid a comment pending review"]),
        ({"type": "user"}, ["banned a user"]),
        ({"type": "comment", "moderator": "mod"}, ["removed a comment"]),
        ({"type": "claim"}, []),
        ({"moderator": "nobody"}, []),
    ],
)
def test_the_log_filters_by_moderator_action_and_type(client, history, params, expected):
    response = client.get(LOG, params)

    assert response.status_code == 200
    html = response.content.decode()
    assert entries_of(html) == len(expected)
    for words in expected:
        assert words in html
    if params.get("action") == "comment_flagged":
        assert '<span class="log-who">community flags</span>' in html
    if not expected:
        assert "No entries match these filters." in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"action": "delete_everything"}, "There is no action “delete_everything” in the log."),
        ({"type": "planet"}, "There is no item type “planet” in the log."),
        ({"moderator": "not a handle!"}, "That is not a handle"),
    ],
)
@pytest.mark.parametrize("url", [LOG, FEED])
def test_a_bad_filter_is_a_400_with_a_clear_message(client, history, params, message, url):
    response = client.get(url, params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_log_is_paginated_newest_first(client, moderator):
    for number in range(53):
        log_action(
            moderator=moderator,
            action=Action.USER_WARN,
            target_type="user",
            target_id=number,
            label=f"@user{number:02d}",
            reason=f"Reason {number:02d}.",
        )

    first = client.get(LOG).content.decode()
    second = client.get(LOG, {"page": "2"}).content.decode()

    assert entries_of(first) == 50
    assert entries_of(second) == 3
    assert "Reason 52." in first
    assert "Reason 03." in first
    assert "Reason 02." not in first
    assert "Reason 02." in second
    assert "Reason 00." in second
    assert 'rel="next" href="?page=2"' in first
    assert client.get(LOG, {"page": "999"}).status_code == 200  # the last page


def test_the_log_reads_in_a_constant_number_of_queries(
    client, moderator, django_assert_max_num_queries
):
    def warn(count: int) -> None:
        for _ in range(count):
            services.user_warn(
                moderator=make_moderator(f"m{User.objects.count()}"),
                user=make_member(f"u{User.objects.count()}"),
                reason="Be nice.",
            )

    warn(1)
    with CaptureQueriesContext(connection) as few:
        client.get(LOG)
    warn(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(LOG).content.decode()
    assert entries_of(html) == 11


# --- The feed -----------------------------------------------------------------------------


def parse(client, params: dict | None = None):
    response = client.get(FEED, params or {})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_the_feed_is_atom_with_the_latest_entries(client, history):
    feed = parse(client)

    assert feed.feed.title == "Paperboard: moderation log"
    assert feed.feed.link == f"http://testserver{LOG}"
    assert [entry.title.split(":")[0] for entry in feed.entries] == [
        "@othermod banned a user",
        "@mod removed a comment",
        "community flags hid a comment pending review",
    ]
    assert len({entry.id for entry in feed.entries}) == 3
    removal = feed.entries[1]
    assert removal.summary == "Personal attack."
    assert removal.author == "@mod"
    assert removal.link == f"http://testserver{history['removed'].get_absolute_url()}"
    assert feed.entries[0].title == "@othermod banned a user: @spammer"


def test_the_feed_takes_the_logs_filters_and_keeps_fifty_entries(client, history, moderator):
    for number in range(55):
        log_action(
            moderator=moderator,
            action=Action.USER_WARN,
            target_type="user",
            target_id=number,
            label=f"@user{number}",
        )

    everything = parse(client)
    bans = parse(client, {"action": "user_ban"})

    assert len(everything.entries) == 50
    assert [entry.title for entry in bans.entries] == ["@othermod banned a user: @spammer"]
    assert bans.feed.link == f"http://testserver{LOG}?action=user_ban"


def test_the_log_page_links_the_feed_with_its_filters(client, history):
    html = client.get(LOG, {"action": "user_ban", "page": "1"}).content.decode()
    assert f'href="{FEED}?action=user_ban"' in html
