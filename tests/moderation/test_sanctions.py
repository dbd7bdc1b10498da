"""Suspensions and bans as users live them: a suspended account reads and logs in but cannot
post, vote, submit or flag until the suspension ends; a banned account cannot log in and its
open sessions end at their next request; unbanning gives both back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.services import author_claim_create
from apps.submissions.models import Submission
from apps.submissions.services import submission_create
from apps.users.models import User
from apps.users.roles import user_can_post
from apps.votes.services import vote_toggle
from tests.factories import PASSWORD, make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """These tests log in with PASSWORD; real hashing would dominate their time."""


@pytest.fixture
def paper(db):
    return make_paper(arxiv_id="2410.09692", published_on=timezone.localdate())


@pytest.fixture
def other_comment(paper):
    return comment_create(author=make_user("other"), paper=paper, body="A point")


def refused_everything(user: User, paper, comment) -> None:
    """Each way of taking part is refused, and nothing is written."""
    with pytest.raises(PermissionDenied):
        comment_create(author=user, paper=paper, body="Let me in")
    with pytest.raises(PermissionDenied):
        comment_create(author=user, paper=paper, body="Let me in", parent=comment)
    with pytest.raises(PermissionDenied):
        vote_toggle(user=user, item=paper)
    with pytest.raises(PermissionDenied):
        vote_toggle(user=user, item=comment)
    with pytest.raises(PermissionDenied):
        submission_create(user=user, text="2410.00007")
    with pytest.raises(PermissionDenied):
        services.flag_create(user=user, item=comment, reason=Flag.Reason.SPAM)
    with pytest.raises(PermissionDenied):
        author_claim_create(user=user, authorship=paper.authorships.first())
    assert not user.comments.exists()
    assert not user.paper_votes.exists()
    assert not user.comment_votes.exists()
    assert not Submission.objects.filter(submitted_by=user).exists()
    assert not Flag.objects.filter(flagged_by=user).exists()


def test_a_suspended_user_cannot_take_part_until_the_suspension_ends(
    moderator, member, paper, other_comment
):
    services.user_suspend(moderator=moderator, user=member, days=3, reason="Cool down.")
    member.refresh_from_db()

    assert not user_can_post(member)
    refused_everything(member, paper, other_comment)

    # Three days later (the end moved into the past instead of waiting).
    User.objects.filter(pk=member.pk).update(
        suspended_until=timezone.now() - dt.timedelta(seconds=1)
    )
    member.refresh_from_db()

    assert user_can_post(member)
    assert not member.is_suspended
    comment_create(author=member, paper=paper, body="I'm back")
    vote_toggle(user=member, item=paper)
    services.flag_create(user=member, item=other_comment, reason=Flag.Reason.SPAM)


def test_a_suspended_user_can_still_log_in_and_read(client, moderator, member, paper):
    services.user_suspend(moderator=moderator, user=member, days=3, reason="Cool down.")

    assert client.login(username=member.username, password=PASSWORD)
    assert client.get(paper.get_absolute_url()).status_code == 200
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert response.wsgi_request.user == member
    assert "Cool down." in response.content.decode()  # the notice says why


def test_a_suspended_user_logs_in_through_the_login_page(client, moderator, member):
    services.user_suspend(moderator=moderator, user=member, days=3, reason="Cool down.")

    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == member.pk


def test_a_suspended_user_posting_through_the_site_gets_a_4xx(client, moderator, member, paper):
    services.user_suspend(moderator=moderator, user=member, days=3, reason="Cool down.")
    client.force_login(member)

    comment = client.post(reverse("comments:list", args=[paper.arxiv_id]), {"body": "Hi"})
    vote = client.post(reverse("votes:paper", args=[paper.arxiv_id]))

    assert 400 <= comment.status_code < 500
    assert 400 <= vote.status_code < 500
    assert not member.comments.exists()


@pytest.mark.parametrize("days", [0, -1, 366, 10_000])
def test_suspension_days_outside_1_to_365_are_refused(moderator, member, days):
    with pytest.raises(ValidationError, match="1 to 365 days"):
        services.user_suspend(moderator=moderator, user=member, days=days, reason="Spam.")

    member.refresh_from_db()
    assert member.suspended_until is None
    assert not ModerationAction.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("days", [1, 365])
def test_suspension_days_at_the_bounds_are_accepted(moderator, member, days):
    services.user_suspend(moderator=moderator, user=member, days=days, reason="Spam.")

    member.refresh_from_db()
    remaining = member.suspended_until - timezone.now()
    assert dt.timedelta(days=days) - dt.timedelta(minutes=1) < remaining <= dt.timedelta(days=days)


def test_suspending_again_replaces_the_end(moderator, member):
    services.user_suspend(moderator=moderator, user=member, days=30, reason="Spam.")
    services.user_suspend(moderator=moderator, user=member, days=1, reason="Shortened.")

    member.refresh_from_db()
    assert member.suspended_until < timezone.now() + dt.timedelta(days=2)
    assert ModerationAction.objects.filter(action=ModerationAction.Action.USER_SUSPEND).count() == 2


def test_a_banned_user_cannot_log_in(client, moderator, member):
    services.user_ban(moderator=moderator, user=member, reason="Spam bot.")

    assert not client.login(username=member.username, password=PASSWORD)
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_ban_ends_an_open_session_at_its_next_request(client, moderator, member, paper):
    client.force_login(member)
    assert client.get(reverse("notifications:list")).wsgi_request.user == member

    services.user_ban(moderator=moderator, user=member, reason="Spam bot.")

    response = client.get(reverse("notifications:list"))
    assert not response.wsgi_request.user.is_authenticated
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    vote = client.post(reverse("votes:paper", args=[paper.arxiv_id]))
    assert not vote.wsgi_request.user.is_authenticated
    assert not paper.votes.exists()


def test_a_banned_user_can_do_nothing(moderator, member, paper, other_comment):
    services.user_ban(moderator=moderator, user=member, reason="Spam bot.")
    member.refresh_from_db()

    refused_everything(member, paper, other_comment)


def test_unban_gives_back_log_in_and_taking_part(client, moderator, member, paper, other_comment):
    services.user_ban(moderator=moderator, user=member, reason="Spam bot.")

    services.user_unban(moderator=moderator, user=member, reason="Appeal accepted.")

    member.refresh_from_db()
    assert user_can_post(member)
    assert client.login(username=member.username, password=PASSWORD)
    assert client.get(reverse("notifications:list")).wsgi_request.user == member
    comment_create(author=member, paper=paper, body="Thanks")
    vote_toggle(user=member, item=other_comment)


def test_unban_lifts_a_suspension_at_once(moderator, member, paper):
    services.user_suspend(moderator=moderator, user=member, days=30, reason="Spam.")

    services.user_unban(moderator=moderator, user=member, reason="Mistake.")

    member.refresh_from_db()
    assert user_can_post(member)
    comment_create(author=member, paper=paper, body="Thanks")


def test_a_suspended_moderator_loses_their_powers_until_the_end(moderator, staff, member, paper):
    services.user_suspend(moderator=staff, user=moderator, days=2, reason="Cool down.")
    moderator.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")

    User.objects.filter(pk=moderator.pk).update(suspended_until=timezone.now() - dt.timedelta(1))
    moderator.refresh_from_db()
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")
