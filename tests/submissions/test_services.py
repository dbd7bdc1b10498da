"""The rules of submitting: who may, how many, which papers, and who goes straight on the list."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.services import author_claim_approve, author_claim_create
from apps.submissions.models import Submission
from apps.submissions.services import (
    SUBMIT_RATE,
    OutcomeKind,
    submission_approve,
    submission_create,
    submission_reject,
    submission_retry,
    submissions_counted_today,
)
from apps.users.roles import MODERATORS_GROUP
from tests.factories import make_entry, make_paper, make_user
from tests.submissions.conftest import make_submission, make_submitter, trust

pytestmark = pytest.mark.django_db

Status = Submission.Status


def recent_paper(arxiv_id: str = "2411.00001", *, days_old: int = 3, **fields) -> Paper:
    return make_paper(
        arxiv_id=arxiv_id, published_on=timezone.localdate() - dt.timedelta(days=days_old), **fields
    )


@pytest.fixture
def moderator():
    user = make_user("mod")
    user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return user


# --- Who may submit -------------------------------------------------------------------------


def test_a_verified_user_may_submit(submitter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = submission_create(user=submitter, text="https://arxiv.org/abs/2411.00002v2")

    assert outcome.kind == OutcomeKind.CREATED
    submission = Submission.objects.get()
    assert outcome.submission == submission
    assert (submission.arxiv_id, submission.status) == ("2411.00002", Status.FETCHING)
    assert submission.submitted_by == submitter
    assert submission.paper is None
    assert len(callbacks) == 1  # the fetch, queued once the submission is committed


def test_an_unverified_email_cannot_submit():
    user = make_user("fresh", verified=False)

    with pytest.raises(PermissionDenied, match="Verify your email"):
        submission_create(user=user, text="2411.00002")
    assert not Submission.objects.exists()


def test_a_verified_but_not_primary_email_is_not_enough():
    user = make_user("fresh", verified=False)
    EmailAddress.objects.create(user=user, email="other@example.org", verified=True, primary=False)

    with pytest.raises(PermissionDenied, match="Verify your email"):
        submission_create(user=user, text="2411.00002")


def test_a_user_without_an_email_address_cannot_submit():
    with pytest.raises(PermissionDenied, match="Verify your email"):
        submission_create(user=make_user("noemail", verified=False), text="2411.00002")


@pytest.mark.parametrize("fields", [{"is_banned": True}, {"is_active": False}])
def test_banned_and_inactive_users_cannot_submit(fields):
    user = make_submitter("gone", **fields)

    with pytest.raises(PermissionDenied, match="good standing"):
        submission_create(user=user, text="2411.00002")
    assert not Submission.objects.exists()


def test_bad_input_is_a_validation_error_with_the_reason(submitter):
    with pytest.raises(ValidationError, match="month") as raised:
        submission_create(user=submitter, text="2413.00001")
    assert raised.value.code == "invalid"
    assert not Submission.objects.exists()


def test_submitting_too_fast_is_refused(submitter):
    for _ in range(SUBMIT_RATE.limit):  # every attempt counts, bad input too
        with pytest.raises(ValidationError):
            submission_create(user=submitter, text="not an id")
    with pytest.raises(RateLimitExceeded):
        submission_create(user=submitter, text="2410.09999")
    assert not Submission.objects.exists()


# --- How many -------------------------------------------------------------------------------


def test_the_daily_limit_counts_the_last_24_hours(submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 2
    submission_create(user=submitter, text="2411.00001")
    submission_create(user=submitter, text="2411.00002")

    with pytest.raises(ValidationError, match="2 papers a day") as raised:
        submission_create(user=submitter, text="2411.00003")
    assert raised.value.code == "daily_limit"
    assert Submission.objects.count() == 2

    # A day later they count no more.
    Submission.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, minutes=1))
    assert submission_create(user=submitter, text="2411.00003").kind == OutcomeKind.CREATED


def test_failed_fetches_do_not_count_but_rejections_and_pending_do(submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 3
    make_submission(user=submitter, arxiv_id="2411.00001", status=Status.FAILED)
    make_submission(user=submitter, arxiv_id="2411.00002", status=Status.FAILED)
    make_submission(user=submitter, status=Status.REJECTED)
    make_submission(user=submitter, status=Status.PENDING)
    assert submissions_counted_today(user=submitter) == 2

    submission_create(user=submitter, text="2411.00003")
    with pytest.raises(ValidationError, match="3 papers a day"):
        submission_create(user=submitter, text="2411.00004")


def test_the_limit_is_per_user(submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    submission_create(user=submitter, text="2411.00001")

    other = make_submitter("other")
    assert submission_create(user=other, text="2411.00002").kind == OutcomeKind.CREATED


# --- Which papers ---------------------------------------------------------------------------


def test_a_featured_paper_leads_to_its_page_and_nothing_is_created(submitter):
    entry = make_entry(day=dt.date(2026, 11, 2), paper=recent_paper())

    outcome = submission_create(user=submitter, text="arXiv:2411.00001v1")

    assert outcome.kind == OutcomeKind.FEATURED
    assert outcome.paper == entry.paper
    assert outcome.day == dt.date(2026, 11, 2)
    assert not Submission.objects.exists()


def test_a_featured_paper_does_not_count_against_the_limit(submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    make_entry(day=dt.date(2026, 11, 2), paper=recent_paper())
    submission_create(user=submitter, text="2411.00001")

    assert submission_create(user=submitter, text="2411.00002").kind == OutcomeKind.CREATED


def test_a_stored_paper_not_featured_is_decided_at_once(
    submitter, django_capture_on_commit_callbacks
):
    paper = recent_paper()

    with django_capture_on_commit_callbacks() as callbacks:
        outcome = submission_create(user=submitter, text="2411.00001")

    submission = outcome.submission
    assert outcome.kind == OutcomeKind.CREATED
    assert (submission.status, submission.paper) == (Status.PENDING, paper)
    assert callbacks == []  # nothing to fetch
    assert not DailyEntry.objects.exists()


def test_a_stored_paper_from_a_trusted_user_is_featured_today(submitter):
    trust(submitter)
    paper = recent_paper()

    outcome = submission_create(user=submitter, text="2411.00001")

    assert outcome.submission.status == Status.PUBLISHED
    assert outcome.submission.decided_at is not None
    entry = DailyEntry.objects.get(paper=paper)
    assert (entry.day, entry.submitted_by) == (timezone.localdate(), submitter)


def test_a_paper_older_than_the_limit_is_rejected_with_the_reason(submitter, settings):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 30
    trust(submitter)  # trust does not override the age rule
    recent_paper(days_old=31)

    submission = submission_create(user=submitter, text="2411.00001").submission

    assert submission.status == Status.REJECTED
    assert "31 days ago" in submission.message
    assert "up to 30 days after their first version" in submission.message
    assert not DailyEntry.objects.filter(paper__arxiv_id="2411.00001").exists()


def test_a_paper_exactly_at_the_age_limit_is_accepted(submitter, settings):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 30
    recent_paper(days_old=30)

    assert submission_create(user=submitter, text="2411.00001").submission.status == (
        Status.PENDING
    )


def test_an_open_submission_is_shown_instead_of_a_duplicate(submitter):
    first = submission_create(user=submitter, text="2411.00009").submission

    again = submission_create(user=submitter, text="https://arxiv.org/pdf/2411.00009v2")
    other = submission_create(user=make_submitter("other"), text="2411.00009")

    assert again.kind == other.kind == OutcomeKind.OPEN
    assert again.submission == other.submission == first
    assert Submission.objects.count() == 1


def test_a_pending_submission_is_open_too(submitter):
    recent_paper()
    pending = submission_create(user=submitter, text="2411.00001").submission

    outcome = submission_create(user=make_submitter("other"), text="2411.00001")

    assert (outcome.kind, outcome.submission) == (OutcomeKind.OPEN, pending)


def test_a_failed_or_rejected_submission_does_not_block_a_new_one(submitter):
    make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    outcome = submission_create(user=make_submitter("other"), text="2411.00009")

    assert outcome.kind == OutcomeKind.CREATED
    assert Submission.objects.filter(arxiv_id="2411.00009").count() == 2


# --- Trust ----------------------------------------------------------------------------------


def test_an_earlier_published_submission_makes_a_user_trusted(submitter):
    recent_paper()
    assert submission_create(user=submitter, text="2411.00001").submission.status == (
        Status.PENDING
    )
    trust(submitter)
    recent_paper("2411.00002")

    assert submission_create(user=submitter, text="2411.00002").submission.status == (
        Status.PUBLISHED
    )


def test_an_earlier_rejected_or_pending_submission_does_not(submitter):
    make_submission(user=submitter, status=Status.REJECTED)
    make_submission(user=submitter, status=Status.PENDING)
    recent_paper()

    assert submission_create(user=submitter, text="2411.00001").submission.status == (
        Status.PENDING
    )


def test_an_approved_author_of_the_paper_is_trusted(submitter, moderator):
    paper = recent_paper(authors=["Sam Author", "Someone Else"])
    claim = author_claim_create(user=submitter, authorship=paper.authorships.get(position=0))
    author_claim_approve(claim=claim, moderator=moderator)

    submission = submission_create(user=submitter, text="2411.00001").submission

    assert submission.status == Status.PUBLISHED
    assert DailyEntry.objects.get(paper=paper).submitted_by == submitter


def test_a_pending_author_claim_or_a_claim_on_another_paper_is_not_enough(submitter, moderator):
    other_paper = recent_paper("2411.00002", authors=["Sam Author"])
    claim = author_claim_create(user=submitter, authorship=other_paper.authorships.get())
    author_claim_approve(claim=claim, moderator=moderator)
    paper = recent_paper(authors=["Sam Author"])
    author_claim_create(user=submitter, authorship=paper.authorships.get())  # still pending
    assert AuthorClaim.objects.filter(status=AuthorClaim.Status.PENDING).count() == 1

    assert submission_create(user=submitter, text="2411.00001").submission.status == (
        Status.PENDING
    )


def test_moderators_are_trusted(moderator):
    recent_paper()

    assert submission_create(user=moderator, text="2411.00001").submission.status == (
        Status.PUBLISHED
    )


# --- Retry ----------------------------------------------------------------------------------


def test_the_submitter_retries_a_failed_submission(submitter, django_capture_on_commit_callbacks):
    failed = make_submission(
        user=submitter, arxiv_id="2411.00009", status=Status.FAILED, message="arXiv was down"
    )

    with django_capture_on_commit_callbacks() as callbacks:
        retried = submission_retry(user=submitter, submission=failed)

    assert (retried.status, retried.message) == (Status.FETCHING, "")
    failed.refresh_from_db()
    assert failed.status == Status.FETCHING
    assert len(callbacks) == 1


def test_only_the_submitter_may_retry(submitter):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    with pytest.raises(PermissionDenied, match="Only the person who submitted"):
        submission_retry(user=make_submitter("other"), submission=failed)
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


@pytest.mark.parametrize(
    "status", [Status.FETCHING, Status.PENDING, Status.PUBLISHED, Status.REJECTED]
)
def test_only_failed_submissions_are_retried(submitter, status):
    submission = make_submission(user=submitter, arxiv_id="2411.00009", status=status)

    with pytest.raises(ValidationError, match="Only a failed submission") as raised:
        submission_retry(user=submitter, submission=submission)
    assert raised.value.code == "not_failed"
    submission.refresh_from_db()
    assert submission.status == status


def test_a_retry_is_refused_when_someone_else_submitted_the_paper_meanwhile(submitter):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)
    submission_create(user=make_submitter("other"), text="2411.00009")

    with pytest.raises(ValidationError, match="in the meantime"):
        submission_retry(user=submitter, submission=failed)
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


def test_a_retry_counts_against_the_daily_limit(submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)
    submission_create(user=submitter, text="2411.00001")

    with pytest.raises(ValidationError, match="1 papers a day"):
        submission_retry(user=submitter, submission=failed)


def test_a_banned_submitter_cannot_retry(submitter):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)
    submitter.is_banned = True
    submitter.save()

    with pytest.raises(PermissionDenied):
        submission_retry(user=submitter, submission=failed)


# --- Moderation -----------------------------------------------------------------------------


@pytest.fixture
def pending(submitter):
    recent_paper()
    return submission_create(user=submitter, text="2411.00001").submission


def test_a_moderator_approves_onto_today_by_default(pending, moderator, submitter):
    approved = submission_approve(moderator=moderator, submission=pending)

    assert (approved.status, approved.decided_by) == (Status.PUBLISHED, moderator)
    entry = DailyEntry.objects.get(paper=pending.paper)
    assert (entry.day, entry.submitted_by) == (timezone.localdate(), submitter)
    # ... and the submitter is now trusted.
    recent_paper("2411.00002")
    assert submission_create(user=submitter, text="2411.00002").submission.status == (
        Status.PUBLISHED
    )


def test_a_moderator_approves_onto_another_day(pending, moderator):
    submission_approve(moderator=moderator, submission=pending, day=dt.date(2026, 11, 30))

    assert DailyEntry.objects.get(paper=pending.paper).day == dt.date(2026, 11, 30)


def test_a_moderator_rejects_with_a_reason_the_submitter_sees(pending, moderator):
    rejected = submission_reject(moderator=moderator, submission=pending, reason=" Off topic. ")

    pending.refresh_from_db()
    assert (pending.status, pending.message, pending.decided_by) == (
        Status.REJECTED,
        "Off topic.",
        moderator,
    )
    assert rejected.decided_at is not None
    assert not DailyEntry.objects.exists()


def test_a_rejection_needs_a_reason(pending, moderator):
    with pytest.raises(ValidationError, match="Say why"):
        submission_reject(moderator=moderator, submission=pending, reason="   ")
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


@pytest.mark.parametrize("who", ["submitter", "stranger", "banned moderator"])
def test_only_moderators_decide(pending, moderator, submitter, who):
    if who == "submitter":
        user = submitter
    elif who == "stranger":
        user = make_submitter("stranger")
    else:
        user = moderator
        user.is_banned = True
        user.save()

    with pytest.raises(PermissionDenied, match="Only moderators"):
        submission_approve(moderator=user, submission=pending)
    with pytest.raises(PermissionDenied, match="Only moderators"):
        submission_reject(moderator=user, submission=pending, reason="no")
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert not DailyEntry.objects.exists()


def test_staff_are_moderators(pending):
    staff = make_user("staff", is_staff=True)
    assert submission_approve(moderator=staff, submission=pending).status == Status.PUBLISHED


@pytest.mark.parametrize(
    "status", [Status.FETCHING, Status.PUBLISHED, Status.REJECTED, Status.FAILED]
)
def test_only_pending_submissions_are_decided(submitter, moderator, status):
    submission = make_submission(user=submitter, arxiv_id="2411.00009", status=status)

    with pytest.raises(ValidationError, match="not pending review"):
        submission_approve(moderator=moderator, submission=submission)
    with pytest.raises(ValidationError, match="not pending review"):
        submission_reject(moderator=moderator, submission=submission, reason="no")


def test_a_decision_is_made_once(pending, moderator):
    submission_reject(moderator=moderator, submission=pending, reason="Off topic")

    with pytest.raises(ValidationError, match="rejected, not pending review"):
        submission_approve(moderator=moderator, submission=pending)  # a stale object
    assert not DailyEntry.objects.exists()


def test_approving_a_paper_featured_meanwhile_is_refused(pending, moderator):
    make_entry(day=dt.date(2026, 11, 20), paper=pending.paper)

    with pytest.raises(ValidationError, match="already on the list of 20 November 2026"):
        submission_approve(moderator=moderator, submission=pending)
    assert DailyEntry.objects.get().day == dt.date(2026, 11, 20)


def test_a_fetch_whose_task_was_lost_fails_so_it_can_be_retried(submitter):
    from apps.submissions.tasks import fail_stale_fetches

    lost = make_submission(user=submitter, arxiv_id="2507.00001", status=Submission.Status.FETCHING)
    running = make_submission(
        user=submitter, arxiv_id="2507.00002", status=Submission.Status.FETCHING
    )
    Submission.objects.filter(pk=lost.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=16)
    )

    assert fail_stale_fetches.apply().get() == 1

    lost.refresh_from_db()
    running.refresh_from_db()
    assert (lost.status, lost.message) == (
        "failed",
        "The paper could not be fetched in time; try again.",
    )
    assert running.status == "fetching"
