"""Limits for new accounts (fewer comments and submissions a day in their first days) and
locked discussions (no new comments or replies)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.moderation import services
from apps.submissions.models import Submission
from apps.submissions.services import (
    OutcomeKind,
    submission_create,
    submissions_daily_limit,
)
from apps.users.roles import user_is_new
from tests.factories import make_paper, make_user
from tests.moderation.conftest import make_member, make_newcomer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def paper(db):
    return make_paper(arxiv_id="2410.09692")


# --- Comments -----------------------------------------------------------------------------


def test_a_newcomer_may_post_the_daily_number_of_comments_then_is_told_the_limit(settings, paper):
    # Below the per-minute burst limit (10), so that only the daily allowance is in play.
    settings.NEW_ACCOUNT_COMMENTS_PER_DAY = 4
    newcomer = make_newcomer()
    assert user_is_new(newcomer)
    parent = comment_create(author=make_user(), paper=paper, body="A question")

    for number in range(3):
        comment_create(author=newcomer, paper=paper, body=f"Comment {number}")
    comment_create(author=newcomer, paper=paper, body="A reply", parent=parent)

    for attempt in ({}, {"parent": parent}):
        with pytest.raises(PermissionDenied) as refused:
            comment_create(author=newcomer, paper=paper, body="One more", **attempt)
        message = str(refused.value)
        assert "4 comments a day" in message
        assert f"first {settings.NEW_ACCOUNT_DAYS} days" in message
    assert Comment.objects.filter(author=newcomer).count() == 4
    paper.refresh_from_db()
    assert paper.comments_count == 5


def test_the_default_newcomer_allowance_is_smaller_than_the_general_daily_limit(settings):
    from apps.comments.services import COMMENT_DAILY_RATE

    assert 0 < settings.NEW_ACCOUNT_COMMENTS_PER_DAY < COMMENT_DAILY_RATE.limit
    assert 0 < settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY < settings.SUBMISSIONS_PER_DAY
    assert settings.NEW_ACCOUNT_DAYS > 0


def test_comments_older_than_a_day_do_not_count(settings, paper):
    settings.NEW_ACCOUNT_COMMENTS_PER_DAY = 2
    newcomer = make_newcomer(date_joined=timezone.now() - dt.timedelta(days=2))
    first = comment_create(author=newcomer, paper=paper, body="Yesterday's")
    comment_create(author=newcomer, paper=paper, body="Today's")
    Comment.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))

    comment_create(author=newcomer, paper=paper, body="Another today")

    with pytest.raises(PermissionDenied, match="2 comments a day"):
        comment_create(author=newcomer, paper=paper, body="One too many")


def test_an_established_account_is_not_limited(settings, paper):
    settings.NEW_ACCOUNT_COMMENTS_PER_DAY = 2
    established = make_member(
        date_joined=timezone.now() - dt.timedelta(days=settings.NEW_ACCOUNT_DAYS, minutes=1)
    )
    assert not user_is_new(established)

    for number in range(5):
        comment_create(author=established, paper=paper, body=f"Comment {number}")
    assert Comment.objects.filter(author=established).count() == 5


def test_the_newcomer_limit_ends_with_the_first_days(settings, paper):
    settings.NEW_ACCOUNT_COMMENTS_PER_DAY = 1
    newcomer = make_newcomer()
    comment_create(author=newcomer, paper=paper, body="First")
    with pytest.raises(PermissionDenied):
        comment_create(author=newcomer, paper=paper, body="Second")

    newcomer.date_joined = timezone.now() - dt.timedelta(days=settings.NEW_ACCOUNT_DAYS + 1)
    newcomer.save(update_fields=["date_joined"])

    comment_create(author=newcomer, paper=paper, body="Second")


# --- Submissions --------------------------------------------------------------------------


def recent_papers(count: int):
    day = timezone.localdate() - dt.timedelta(days=2)
    return [make_paper(published_on=day) for _ in range(count)]


def test_the_submission_allowance_is_smaller_for_newcomers(settings):
    newcomer, established = make_newcomer(), make_member()

    assert submissions_daily_limit(user=newcomer) == settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY
    assert submissions_daily_limit(user=established) == settings.SUBMISSIONS_PER_DAY

    settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY = settings.SUBMISSIONS_PER_DAY + 5
    assert submissions_daily_limit(user=newcomer) == settings.SUBMISSIONS_PER_DAY


def test_a_newcomer_submits_the_daily_number_of_papers_then_is_told_the_limit(settings):
    settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY = 2
    newcomer = make_newcomer()
    papers = recent_papers(3)

    for paper in papers[:2]:
        outcome = submission_create(user=newcomer, text=paper.arxiv_id)
        assert outcome.kind == OutcomeKind.CREATED
        assert outcome.submission.status == Submission.Status.PENDING  # a moderator decides

    with pytest.raises(ValidationError, match="2 papers a day in your first"):
        submission_create(user=newcomer, text=papers[2].arxiv_id)
    assert Submission.objects.filter(submitted_by=newcomer).count() == 2


def test_an_established_account_submits_more_than_a_newcomer_may(settings):
    settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY = 1
    settings.SUBMISSIONS_PER_DAY = 3
    established = make_member()

    for paper in recent_papers(3):
        submission_create(user=established, text=paper.arxiv_id)
    with pytest.raises(ValidationError, match="3 papers a day and"):
        submission_create(user=established, text=make_paper().arxiv_id)


# --- Locked discussions ---------------------------------------------------------------------


def test_a_locked_discussion_takes_no_comments_or_replies(moderator, member, paper):
    parent = comment_create(author=member, paper=paper, body="Before the lock")
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")
    paper.refresh_from_db()

    with pytest.raises(PermissionDenied, match="locked"):
        comment_create(author=member, paper=paper, body="After the lock")
    with pytest.raises(PermissionDenied, match="locked"):
        comment_create(author=make_user(), paper=paper, body="A reply", parent=parent)
    assert Comment.objects.filter(paper=paper).count() == 1
    paper.refresh_from_db()
    assert paper.comments_count == 1  # what is there stays


def test_a_lock_is_seen_by_a_copy_of_the_paper_read_before_it(moderator, member, paper):
    stale = type(paper).objects.get(pk=paper.pk)
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")

    with pytest.raises(PermissionDenied, match="locked"):
        comment_create(author=member, paper=stale, body="Too late")
    assert not Comment.objects.exists()


def test_moderators_cannot_comment_in_a_locked_discussion_either(moderator, paper):
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")
    paper.refresh_from_db()

    with pytest.raises(PermissionDenied, match="locked"):
        comment_create(author=moderator, paper=paper, body="Calm down, everyone")
