"""Flags: reasons per kind of item, one per user per item, withdrawing, who may flag and how
often, and the threshold at which open flags hide a comment pending review (exactly once,
even when the flags arrive at the same moment)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create, comment_delete
from apps.core.ratelimit import RateLimitExceeded
from apps.moderation import services
from apps.moderation.log import comment_label
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.models import Paper
from apps.votes.services import vote_toggle
from tests.factories import make_paper, make_user
from tests.moderation.conftest import make_member, make_newcomer

pytestmark = pytest.mark.django_db

Reason = Flag.Reason


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def paper(db):
    return make_paper(arxiv_id="2410.09692")


@pytest.fixture
def author(db):
    return make_user("author")


@pytest.fixture
def comment(paper, author):
    return comment_create(author=author, paper=paper, body="Me too!")


def flag(user, item, reason=Reason.SPAM, text=""):
    return services.flag_create(user=user, item=item, reason=reason, text=text)


# --- Reasons ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", Flag.PAPER_REASONS)
def test_every_paper_reason_is_accepted_on_a_paper(member, paper, reason):
    created = flag(member, paper, reason, text="details")

    assert (created.paper, created.comment, created.reason) == (paper, None, reason)
    assert created.is_open


@pytest.mark.parametrize("reason", Flag.COMMENT_REASONS)
def test_every_comment_reason_is_accepted_on_a_comment(member, comment, reason):
    created = flag(member, comment, reason, text="details")

    assert (created.paper, created.comment, created.reason) == (None, comment, reason)


@pytest.mark.parametrize("reason", [*sorted(set(Reason) - set(Flag.PAPER_REASONS)), "nonsense"])
def test_a_comment_reason_on_a_paper_is_refused(member, paper, reason):
    with pytest.raises(ValidationError, match="listed reasons"):
        flag(member, paper, reason, text="x")
    assert not Flag.objects.exists()


@pytest.mark.parametrize("reason", [*sorted(set(Reason) - set(Flag.COMMENT_REASONS)), ""])
def test_a_paper_reason_on_a_comment_is_refused(member, comment, reason):
    with pytest.raises(ValidationError, match="listed reasons"):
        flag(member, comment, reason, text="x")
    assert not Flag.objects.exists()


def test_flag_reasons_lists_the_reasons_of_the_item_kind(paper, comment):
    assert services.flag_reasons(paper) == Flag.PAPER_REASONS
    assert services.flag_reasons(comment) == Flag.COMMENT_REASONS
    assert Reason.WRONG_METADATA in Flag.PAPER_REASONS
    assert Reason.UNKIND not in Flag.PAPER_REASONS


@pytest.mark.parametrize("text", ["", "   \n"])
def test_other_needs_text(member, paper, comment, text):
    for item in (paper, comment):
        with pytest.raises(ValidationError, match="other"):
            flag(member, item, Reason.OTHER, text=text)
    assert not Flag.objects.exists()

    created = flag(member, paper, Reason.OTHER, text="  Wrong arXiv category  ")
    assert created.text == "Wrong arXiv category"


def test_text_longer_than_the_limit_is_refused(member, paper):
    with pytest.raises(ValidationError, match="under 1,000"):
        flag(member, paper, Reason.OTHER, text="x" * 1001)
    assert not Flag.objects.exists()


# --- One flag per user per item, withdrawing ------------------------------------------------


def test_one_flag_per_user_per_item(member, paper, comment):
    flag(member, paper)
    flag(member, comment)

    with pytest.raises(ValidationError, match="already flagged"):
        flag(member, paper, Reason.DUPLICATE)
    with pytest.raises(ValidationError, match="already flagged"):
        flag(member, comment, Reason.TROLL)

    assert Flag.objects.count() == 2
    flag(make_member(), paper)  # someone else may
    assert Flag.objects.count() == 3


def test_a_duplicate_does_not_undo_the_rest_of_the_callers_transaction(member, paper):
    """The insert runs in a savepoint: the caller's transaction stays usable after the error."""
    flag(member, paper)
    with pytest.raises(ValidationError):
        flag(member, paper)
    assert Paper.objects.filter(pk=paper.pk).exists()


def test_withdraw_own_open_flag(member, paper):
    mine = flag(member, paper)

    services.flag_withdraw(user=member, flag=mine)

    assert not Flag.objects.exists()
    flag(member, paper)  # and may flag again later


def test_withdraw_someone_elses_flag_is_refused(member, paper):
    theirs = flag(make_member(), paper)

    with pytest.raises(ValidationError, match="not yours"):
        services.flag_withdraw(user=member, flag=theirs)
    assert Flag.objects.filter(pk=theirs.pk).exists()


def test_withdraw_a_reviewed_flag_is_refused(member, moderator, paper):
    mine = flag(member, paper)
    services.flags_dismiss(moderator=moderator, item=paper)

    with pytest.raises(ValidationError, match="already reviewed"):
        services.flag_withdraw(user=member, flag=mine)
    mine.refresh_from_db()
    assert mine.resolution == Flag.Resolution.DISMISSED


# --- Who may flag, how often ------------------------------------------------------------------


def test_an_unverified_email_cannot_flag(paper):
    user = make_user("unverified", verified=False)

    with pytest.raises(PermissionDenied, match="Verify your email"):
        flag(user, paper)
    assert not Flag.objects.exists()


def test_an_account_younger_than_the_minimum_age_cannot_flag(settings, paper):
    days = settings.FLAG_MIN_ACCOUNT_AGE_DAYS
    assert days > 0
    young = make_member(
        date_joined=timezone.now() - dt.timedelta(days=days) + dt.timedelta(minutes=5)
    )
    newcomer = make_newcomer()

    for user in (young, newcomer):
        with pytest.raises(PermissionDenied, match=f"{days} days old"):
            flag(user, paper)
    assert not Flag.objects.exists()

    old_enough = make_member(date_joined=timezone.now() - dt.timedelta(days=days, minutes=5))
    flag(old_enough, paper)


def test_the_minimum_age_is_a_setting(settings, paper):
    settings.FLAG_MIN_ACCOUNT_AGE_DAYS = 0
    flag(make_newcomer(), paper)


@pytest.mark.parametrize(
    "fields",
    [
        {"is_banned": True},
        {"suspended_until": timezone.now() + dt.timedelta(days=1)},
        {"is_active": False},
    ],
    ids=["banned", "suspended", "inactive"],
)
def test_accounts_in_bad_standing_cannot_flag(paper, fields):
    with pytest.raises(PermissionDenied, match="good standing"):
        flag(make_member(**fields), paper)


def test_the_daily_number_of_flags_is_limited(settings, member):
    settings.FLAGS_PER_DAY = 3
    papers = [make_paper() for _ in range(5)]
    for item in papers[:3]:
        flag(member, item)

    with pytest.raises(RateLimitExceeded, match="3 items a day"):
        flag(member, papers[3])
    assert Flag.objects.count() == 3

    # A day later the earliest flags no longer count.
    Flag.objects.filter(paper__in=papers[:2]).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    flag(member, papers[3])
    flag(member, papers[4])
    assert Flag.objects.count() == 5


def test_own_comment_cannot_be_flagged(author, comment):
    verified = make_member("author2")
    own = comment_create(author=verified, paper=comment.paper, body="mine")

    with pytest.raises(PermissionDenied, match="own comment"):
        flag(verified, own)
    assert not Flag.objects.exists()


def test_a_deleted_comment_cannot_be_flagged(member, paper, comment, author):
    comment_create(author=make_user(), paper=paper, body="reply", parent=comment)
    comment_delete(comment=comment, user=author)  # stays as "[deleted]" for its reply

    with pytest.raises(ValidationError, match="deleted"):
        flag(member, comment)
    assert not Flag.objects.exists()


# --- The threshold ----------------------------------------------------------------------------


def comments_count(paper) -> int:
    return Paper.objects.get(pk=paper.pk).comments_count


def test_exactly_at_the_threshold_the_comment_is_hidden_once(settings, paper, comment, author):
    settings.FLAG_HIDE_THRESHOLD = 3
    other = comment_create(author=make_user(), paper=paper, body="a good comment")
    assert comments_count(paper) == 2

    flag(make_member(), comment)
    flag(make_member(), comment, Reason.ME_TOO)
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    assert comments_count(paper) == 2
    assert not ModerationAction.objects.exists()

    flag(make_member(), comment, Reason.OTHER, text="bot")

    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.FLAGGED
    assert comment.is_hidden
    assert not comment.is_shown
    assert comments_count(paper) == 1
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.moderator_name) == (None, "")
    assert entry.action == ModerationAction.Action.COMMENT_HIDE_BY_FLAGS
    assert (entry.target_type, entry.target_id) == ("comment", comment.pk)
    assert entry.target_label == comment_label(comment)
    assert entry.target_url == comment.get_absolute_url()
    assert entry.subject_user == author
    assert entry.reason == "Hidden pending review after 3 flags."
    assert "bot" not in entry.reason  # flag texts stay with the moderators
    # Hidden pending review: no notice to the author yet, a moderator decides.
    assert not Notification.objects.filter(recipient=author).exists()

    flag(make_member(), comment)
    flag(make_member(), comment)
    assert ModerationAction.objects.count() == 1
    assert comments_count(paper) == 1
    other.refresh_from_db()
    assert other.visibility == Comment.Visibility.VISIBLE


def test_withdrawn_and_dismissed_flags_do_not_count(settings, moderator, comment):
    settings.FLAG_HIDE_THRESHOLD = 2
    first = flag(make_member(), comment)
    services.flag_withdraw(user=first.flagged_by, flag=first)
    flag(make_member(), comment)
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    services.flags_dismiss(moderator=moderator, item=comment)

    flag(make_member(), comment)

    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    flag(make_member(), comment)
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.FLAGGED


def test_a_removed_comment_is_not_hidden_again_by_flags(settings, moderator, comment):
    settings.FLAG_HIDE_THRESHOLD = 1
    services.comment_hide(moderator=moderator, comment=comment, reason="Spam.")

    flag(make_member(), comment)

    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.REMOVED
    assert ModerationAction.objects.count() == 1


def test_flags_never_hide_a_paper(settings, paper):
    settings.FLAG_HIDE_THRESHOLD = 1
    flag(make_member(), paper)
    flag(make_member(), paper)

    assert Paper.objects.filter(pk=paper.pk).exists()
    assert not ModerationAction.objects.exists()


def _run_concurrently(calls):
    errors = _run_collecting(calls)
    assert not errors, errors


def _run_collecting(calls) -> list[Exception]:
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_flags_cross_the_threshold_exactly_once(settings):
    settings.FLAG_HIDE_THRESHOLD = 3
    paper = make_paper()
    author = make_user("author")
    author.email = ""  # no emails queued to the broker from this test
    author.save(update_fields=["email"])
    comment = comment_create(author=author, paper=paper, body="Spam spam spam")
    kept = comment_create(author=author, paper=paper, body="A fine comment")
    flaggers = [make_member() for _ in range(12)]
    calls = [lambda user=user: flag(user, comment) for user in flaggers]

    _run_concurrently(calls)

    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.FLAGGED
    assert Flag.objects.filter(comment=comment).count() == len(flaggers)
    hides = ModerationAction.objects.filter(
        action=ModerationAction.Action.COMMENT_HIDE_BY_FLAGS, target_id=comment.pk
    )
    assert hides.count() == 1
    assert hides.get().reason == "Hidden pending review after 3 flags."
    paper.refresh_from_db()
    assert paper.comments_count == 1
    kept.refresh_from_db()
    assert kept.visibility == Comment.Visibility.VISIBLE


@pytest.mark.django_db(transaction=True)
def test_flags_replies_and_votes_at_the_same_moment_do_not_deadlock(settings):
    """A flag locks the comment then (crossing the threshold) the paper; a reply locks the
    paper then references the comment; a vote locks the comment."""
    settings.FLAG_HIDE_THRESHOLD = 2
    paper = make_paper()
    author = make_user("author")
    author.email = ""  # no reply emails queued to the broker from this test
    author.save(update_fields=["email"])
    comment = comment_create(author=author, paper=paper, body="Spam spam spam")
    people = [make_member() for _ in range(10)]
    calls = [lambda user=user: flag(user, comment) for user in people[:5]]
    calls += [
        lambda user=user: comment_create(author=user, paper=paper, body="+1", parent=comment)
        for user in people[5:]
    ]
    calls += [lambda user=user: vote_toggle(user=user, item=comment) for user in people[5:]]
    errors = _run_collecting(calls)

    assert not [e for e in errors if not isinstance(e, (ValidationError, PermissionDenied))]
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.FLAGGED
    hidden_at = ModerationAction.objects.get(target_id=comment.pk).created_at
    assert not comment.replies.filter(created_at__gt=hidden_at).exists()
    paper.refresh_from_db()
    assert (
        paper.comments_count
        == Comment.objects.filter(
            paper=paper, visibility=Comment.Visibility.VISIBLE, is_deleted=False
        ).count()
    )
