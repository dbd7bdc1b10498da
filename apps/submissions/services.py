"""Submissions: a user brings an arXiv paper to the daily list; trust decides how it gets there.

A submission of a paper not stored yet is created *fetching* and a Celery task fetches it from
the arXiv API (``submission_fetch``); a stored paper is decided at once. Deciding checks the
paper's age, then trust: moderators, users with an earlier published submission and approved
authors of the paper go straight to today's list, everyone else waits *pending* for a
moderator (``submission_approve`` / ``submission_reject``).

Concurrency: at most one open (fetching or pending) submission per arXiv id, by a partial
unique constraint, so two people submitting one paper end up looking at one submission. Every
status change locks the submission row and re-checks the status it expects, so a fetch that
runs twice, a retry and a moderator's decision never act on top of each other. A user's
submissions are counted for the daily limit under a per-user advisory lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import dateformat, timezone

from apps.core.failopen import enqueue
from apps.core.ratelimit import Rate, ratelimit_hit
from apps.ingestion.client import ArxivClient, ArxivError, ArxivRejected, ArxivUnavailable
from apps.ingestion.parsers import FeedError
from apps.ingestion.services import entries_ingest
from apps.papers.arxiv_ids import arxiv_id_from_input, split_version
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.selectors import paper_alias_target
from apps.papers.services import daily_entry_place
from apps.submissions.models import Submission
from apps.users.models import User
from apps.users.roles import (
    user_can_post,
    user_has_verified_email,
    user_in_good_standing,
    user_is_moderator,
    user_is_new,
)

logger = logging.getLogger(__name__)

Status = Submission.Status
# Bursts (a script, a stuck key); the daily limit is SUBMISSIONS_PER_DAY, counted in the database.
SUBMIT_RATE = Rate(limit=10, window=60, message="You are submitting too fast. Wait a minute.")
# Namespace of the per-user advisory locks (the second key is the user's id).
_SUBMITTER_LOCK = 7_246_117


class OutcomeKind(StrEnum):
    FEATURED = "featured"  # the paper is already on a day's page; nothing was created
    OPEN = "open"  # an open submission of the paper exists (maybe someone else's)
    CREATED = "created"  # a new submission: fetching, or already decided for a stored paper


@dataclass(frozen=True)
class SubmissionOutcome:
    """What ``submission_create`` did, and what to show: a paper's page or a submission."""

    kind: OutcomeKind
    paper: Paper | None = None
    submission: Submission | None = None
    day: dt.date | None = None  # the day a FEATURED paper is on


# --- Checks ------------------------------------------------------------------------------


def submitter_check(user: User) -> None:
    """Raise PermissionDenied unless ``user`` may submit: in good standing, email verified."""
    if not user_in_good_standing(user):
        raise PermissionDenied("Log in with an account in good standing to submit papers.")
    if not user_has_verified_email(user):
        raise PermissionDenied("Verify your email address before submitting papers.")


def _require_moderator(user: User) -> None:
    if not user_is_moderator(user):
        raise PermissionDenied("Only moderators decide submissions.")


def _lock_submitter(user: User) -> None:
    """Serialise one user's submissions until the transaction ends (the daily count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [_SUBMITTER_LOCK, user.pk]
        )


def submissions_counted_today(*, user: User) -> int:
    """Submissions of the last 24 hours that count against the limit (failed fetches don't)."""
    since = timezone.now() - dt.timedelta(hours=24)
    return (
        Submission.objects.filter(submitted_by=user, created_at__gte=since)
        .exclude(status=Status.FAILED)
        .count()
    )


def submissions_daily_limit(*, user: User) -> int:
    """New accounts get a smaller allowance in their first days (settings)."""
    if user_is_new(user):
        return min(settings.NEW_ACCOUNT_SUBMISSIONS_PER_DAY, settings.SUBMISSIONS_PER_DAY)
    return settings.SUBMISSIONS_PER_DAY


def _daily_limit_check(user: User) -> None:
    limit = submissions_daily_limit(user=user)
    if submissions_counted_today(user=user) >= limit:
        first_days = f" in your first {settings.NEW_ACCOUNT_DAYS} days" if user_is_new(user) else ""
        raise ValidationError(
            f"You can submit {limit} papers a day{first_days} and have reached that; "
            "try again tomorrow.",
            code="daily_limit",
        )


def long_date(day: dt.date) -> str:
    """``3 November 2026``: how messages name a day."""
    return dateformat.format(day, "j F Y")


def _parse(text: str) -> str:
    try:
        arxiv_id, _version = arxiv_id_from_input(text)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid") from exc
    return arxiv_id


def _entry_of(paper: Paper | None) -> DailyEntry | None:
    return None if paper is None else DailyEntry.objects.filter(paper=paper).first()


def _locked(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().get(pk=submission.pk)


def _open_submission(arxiv_id: str) -> Submission | None:
    return (
        Submission.objects.select_related("paper")
        .filter(arxiv_id=arxiv_id, status__in=Submission.OPEN_STATUSES)
        .first()
    )


def submitter_is_trusted(*, user: User, paper: Paper, submission: Submission | None = None) -> bool:
    """Moderators, users with an earlier published submission, approved authors of ``paper``;
    nobody for a paper a moderator removed from its day (it goes back through review)."""
    if not user_can_post(user) or paper.removed_from_day:
        return False
    if user_is_moderator(user):
        return True
    earlier = Submission.objects.filter(submitted_by=user, status=Status.PUBLISHED)
    if submission is not None:
        earlier = earlier.exclude(pk=submission.pk)
    if earlier.exists():
        return True
    return AuthorClaim.objects.filter(
        user=user, status=AuthorClaim.Status.APPROVED, authorship__paper=paper
    ).exists()


# --- Submitting --------------------------------------------------------------------------


class _AlreadyFeatured(Exception):
    def __init__(self, entry: DailyEntry) -> None:
        self.entry = entry


def submission_create(*, user: User, text: str) -> SubmissionOutcome:
    """Submit the paper ``text`` names (an id or link in any common form).

    Raises PermissionDenied (not allowed to submit), RateLimitExceeded (too fast) or
    ValidationError (not an arXiv id, daily limit reached). A paper already on a day's page
    gives FEATURED, an open submission of it OPEN, otherwise a new submission: decided now
    if the paper is stored, else fetching, with the fetch queued once this commits.
    """
    submitter_check(user)
    ratelimit_hit(scope="submission", key=str(user.pk), rate=SUBMIT_RATE)
    arxiv_id = _parse(text)
    # A duplicate merged into another paper: the submission is of the paper that was kept.
    arxiv_id = paper_alias_target(arxiv_id=arxiv_id) or arxiv_id
    with transaction.atomic():
        _lock_submitter(user)
        paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
        if entry := _entry_of(paper):
            return SubmissionOutcome(OutcomeKind.FEATURED, paper=paper, day=entry.day)
        if open_submission := _open_submission(arxiv_id):
            return SubmissionOutcome(
                OutcomeKind.OPEN, paper=open_submission.paper, submission=open_submission
            )
        _daily_limit_check(user)
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    submitted_by=user, arxiv_id=arxiv_id, paper=paper, status=Status.FETCHING
                )
                # A submission of this paper decided (published) while this insert waited
                # for it is visible now: featured after all, and this one is undone.
                if entry := _entry_of(paper):
                    raise _AlreadyFeatured(entry)
        except _AlreadyFeatured as featured:
            return SubmissionOutcome(OutcomeKind.FEATURED, paper=paper, day=featured.entry.day)
        except IntegrityError:
            # Someone else's submission of the paper was created in the meantime.
            open_submission = _open_submission(arxiv_id)
            if open_submission is None:
                raise ValidationError(
                    "Someone submitted this paper at the same moment; try again.", code="race"
                ) from None
            return SubmissionOutcome(
                OutcomeKind.OPEN, paper=open_submission.paper, submission=open_submission
            )
        if paper is None:
            transaction.on_commit(lambda: _queue_fetch(submission.pk))
        else:
            _decide(submission, paper)
    return SubmissionOutcome(OutcomeKind.CREATED, paper=submission.paper, submission=submission)


def _queue_fetch(submission_id: int) -> None:
    """Queue the fetch (after commit); with the broker down the submission fails, retryable."""
    from apps.submissions.tasks import fetch_submission  # the task module imports this one

    if not enqueue(fetch_submission, args=[submission_id]):
        Submission.objects.filter(pk=submission_id, status=Status.FETCHING).update(
            status=Status.FAILED,
            message="The paper could not be fetched just now; try again in a minute.",
            updated_at=timezone.now(),
        )


def _save(submission: Submission, *fields: str) -> None:
    submission.save(update_fields=[*fields, "updated_at"])


def _decide(submission: Submission, paper: Paper) -> None:
    """Age, then trust: reject, publish on today's list or leave pending (row locked)."""
    now = timezone.now()
    today = timezone.localdate(now)
    max_age = settings.SUBMISSION_MAX_PAPER_AGE_DAYS
    age = (today - paper.published_on).days
    submission.paper = paper
    if entry := _entry_of(paper):
        submission.status = Status.REJECTED
        submission.message = f"This paper is already on the list of {long_date(entry.day)}."
        submission.decided_at = now
    elif age > max_age:
        submission.status = Status.REJECTED
        submission.message = (
            f"Its first version is from {long_date(paper.published_on)}, {age} days ago; "
            f"papers can be submitted up to {max_age} days after their first version."
        )
        submission.decided_at = now
    elif submitter_is_trusted(user=submission.submitted_by, paper=paper, submission=submission):
        daily_entry_place(paper=paper, day=today, submitted_by=submission.submitted_by)
        submission.status = Status.PUBLISHED
        submission.message = ""
        submission.decided_at = now
    else:
        submission.status = Status.PENDING
        submission.message = ""
    _save(submission, "paper", "status", "message", "decided_at")


def _fail(submission: Submission, message: str) -> Submission:
    with transaction.atomic():
        submission = _locked(submission)
        if submission.status == Status.FETCHING:
            submission.status = Status.FAILED
            submission.message = message
            _save(submission, "status", "message")
    return submission


def _versionless(arxiv_id: str) -> str | None:
    try:
        return split_version(arxiv_id)[0]
    except ValueError:
        return None


def submission_fetch(*, submission: Submission) -> Submission:
    """Fetch a fetching submission's paper from arXiv, store it, and decide (the task's body).

    Anything but a fetching submission is returned as it is, so running twice is harmless.
    When arXiv cannot be reached, refuses, or has no such paper, the submission fails with a
    message saying so and nothing is stored; the submitter may retry.
    """
    submission.refresh_from_db()
    if submission.status != Status.FETCHING:
        return submission
    arxiv_id = submission.arxiv_id
    try:  # outside any transaction: the client waits politely between requests
        entries = [
            entry
            for entry in ArxivClient().fetch_ids([arxiv_id])
            if _versionless(entry.record.arxiv_id) == arxiv_id
        ]
    except ArxivUnavailable:
        logger.warning("submission %s: arXiv unavailable", submission.pk, exc_info=True)
        return _fail(submission, "arXiv could not be reached just now; try again in a few minutes.")
    except ArxivRejected as error:
        logger.warning("submission %s: arXiv refused: %s", submission.pk, error)
        return _fail(submission, f"arXiv refused the request for {arxiv_id}; check the id.")
    except (ArxivError, FeedError) as error:
        logger.warning("submission %s: unreadable arXiv answer: %s", submission.pk, error)
        return _fail(submission, "arXiv's answer could not be read; try again in a few minutes.")
    if not entries:
        return _fail(submission, f"arXiv has no paper with the id {arxiv_id}.")
    with transaction.atomic():
        submission = _locked(submission)
        if submission.status != Status.FETCHING:
            return submission
        try:
            entries_ingest(entries)
        except (ValidationError, ValueError) as error:
            message = (
                "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
            logger.error("submission %s: arXiv's record not stored: %s", submission.pk, message)
            submission.status = Status.FAILED
            submission.message = f"arXiv's record of {arxiv_id} could not be stored: {message}"
            _save(submission, "status", "message")
            return submission
        _decide(submission, Paper.objects.get(arxiv_id=arxiv_id))
    return submission


def submission_fetch_failed(*, submission: Submission) -> Submission:
    """A fetch that crashed unexpectedly: fail the submission (retryable), don't leave it open."""
    return _fail(submission, "Something went wrong while fetching the paper; try again.")


# A fetch waits at most a few polite requests (and their retries) for arXiv; one still
# "fetching" after this long lost its task (a broker restart, a killed worker).
STALE_FETCH_AFTER = dt.timedelta(minutes=15)


def submissions_fail_stale(*, now: dt.datetime | None = None) -> int:
    """Fail the submissions whose fetch never finished, so their submitters can retry.

    Returns how many. Without this, a lost task would leave the status polling for ever.
    """
    cutoff = (now or timezone.now()) - STALE_FETCH_AFTER
    return Submission.objects.filter(status=Status.FETCHING, updated_at__lt=cutoff).update(
        status=Status.FAILED,
        message="The paper could not be fetched in time; try again.",
        updated_at=timezone.now(),
    )


def submission_retry(*, user: User, submission: Submission) -> Submission:
    """Fetch a failed submission again; only its submitter may, within the daily limit."""
    submitter_check(user)
    if submission.submitted_by_id != user.pk:
        raise PermissionDenied("Only the person who submitted a paper can retry it.")
    ratelimit_hit(scope="submission", key=str(user.pk), rate=SUBMIT_RATE)
    with transaction.atomic():
        _lock_submitter(user)
        submission = _locked(submission)
        if submission.status != Status.FAILED:
            raise ValidationError("Only a failed submission can be retried.", code="not_failed")
        if entry := _entry_of(Paper.objects.filter(arxiv_id=submission.arxiv_id).first()):
            raise ValidationError(
                f"This paper is already on the list of {long_date(entry.day)}.", code="featured"
            )
        _daily_limit_check(user)
        submission.status = Status.FETCHING
        submission.message = ""
        try:
            with transaction.atomic():
                _save(submission, "status", "message")
        except IntegrityError:
            raise ValidationError(
                "Someone else has submitted this paper in the meantime.", code="open"
            ) from None
        transaction.on_commit(lambda: _queue_fetch(submission.pk))
    return submission


# --- Moderation --------------------------------------------------------------------------


def _pending_for_decision(submission: Submission, moderator: User) -> Submission:
    _require_moderator(moderator)
    submission = _locked(submission)
    if submission.status != Status.PENDING:
        raise ValidationError(
            f"This submission is {submission.get_status_display().lower()}, not pending review.",
            code="decided",
        )
    return submission


@transaction.atomic
def submission_approve(
    *, moderator: User, submission: Submission, day: dt.date | None = None
) -> Submission:
    """Publish a pending submission: its paper goes on ``day``'s list (today by default)."""
    submission = _pending_for_decision(submission, moderator)
    paper = Paper.objects.get(pk=submission.paper_id)
    if entry := _entry_of(paper):
        raise ValidationError(
            f"This paper is already on the list of {long_date(entry.day)}; reject this one.",
            code="featured",
        )
    now = timezone.now()
    daily_entry_place(
        paper=paper, day=day or timezone.localdate(now), submitted_by=submission.submitted_by
    )
    submission.status = Status.PUBLISHED
    submission.message = ""
    submission.decided_by, submission.decided_at = moderator, now
    _save(submission, "status", "message", "decided_by", "decided_at")
    return submission


@transaction.atomic
def submission_reject(*, moderator: User, submission: Submission, reason: str) -> Submission:
    """Reject a pending submission; the reason is shown to the submitter."""
    reason = (reason or "").strip()
    _require_moderator(moderator)
    if not reason:
        raise ValidationError(
            "Say why the paper is rejected: the submitter sees it.", code="no_reason"
        )
    submission = _pending_for_decision(submission, moderator)
    submission.status = Status.REJECTED
    submission.message = reason
    submission.decided_by, submission.decided_at = moderator, timezone.now()
    _save(submission, "status", "message", "decided_by", "decided_at")
    return submission


# --- Merging duplicate papers (apps.moderation.merge) -----------------------------------


def submissions_move(*, source: Paper, target: Paper) -> int:
    """Point the submissions of ``source`` (a duplicate being merged) at ``target``; each keeps
    the arXiv id its submitter gave. Returns how many moved."""
    return Submission.objects.filter(paper=source).update(paper=target, updated_at=timezone.now())
