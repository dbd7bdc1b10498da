"""Two people submitting one paper at the same moment, in real concurrent transactions."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.papers.services import daily_entry_place
from apps.submissions.models import Submission
from apps.submissions.services import OutcomeKind, SubmissionOutcome, submission_create
from tests.factories import make_paper
from tests.submissions.conftest import make_submitter

pytestmark = pytest.mark.django_db(transaction=True)

Status = Submission.Status


def race(first_transaction, second_call) -> SubmissionOutcome:
    """Run ``second_call`` while ``first_transaction`` (given the submitter) is uncommitted.

    The second call does not see the first's row yet, so it gets as far as its own insert,
    which waits on the unique index until the first commits.
    """
    inserted, release = threading.Event(), threading.Event()
    outcome: list[SubmissionOutcome] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                first_transaction(inserted, release)
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)
            inserted.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            inserted.wait(10)
            outcome.append(second_call())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inserted.wait(10)
    time.sleep(0.5)  # the second is now waiting for the first's transaction
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return outcome[0]


def test_the_second_of_two_simultaneous_submissions_shows_the_first():
    alice, bob = make_submitter("alice"), make_submitter("bob")
    created: list[Submission] = []

    def alice_submits(inserted, release):
        created.append(
            Submission.objects.create(submitted_by=alice, arxiv_id="2411.00009", status="fetching")
        )
        inserted.set()
        release.wait(10)

    outcome = race(alice_submits, lambda: submission_create(user=bob, text="2411.00009"))

    assert outcome.kind == OutcomeKind.OPEN
    assert outcome.submission.pk == created[0].pk
    assert Submission.objects.count() == 1


def test_a_paper_published_while_the_second_waited_is_featured_and_nothing_is_left():
    alice, bob = make_submitter("alice"), make_submitter("bob")
    paper = make_paper(arxiv_id="2411.00001", published_on=timezone.localdate() - dt.timedelta(1))

    def alice_publishes(inserted, release):
        submission = Submission.objects.create(
            submitted_by=alice, arxiv_id=paper.arxiv_id, paper=paper, status="fetching"
        )
        inserted.set()
        release.wait(10)
        daily_entry_place(paper=paper, day=timezone.localdate(), submitted_by=alice)
        submission.status = Status.PUBLISHED
        submission.save()

    outcome = race(alice_publishes, lambda: submission_create(user=bob, text="2411.00001"))

    assert (outcome.kind, outcome.paper, outcome.day) == (
        OutcomeKind.FEATURED,
        paper,
        timezone.localdate(),
    )
    assert list(Submission.objects.values_list("submitted_by__username", "status")) == [
        ("alice", "published")
    ]
