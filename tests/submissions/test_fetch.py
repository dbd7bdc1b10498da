"""Fetching a submitted paper through the real arXiv client, from a local server that serves
saved real API responses: found, unknown, arXiv down (and the retry), arXiv refusing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.papers.models import DailyEntry, Paper
from apps.submissions.models import Submission
from apps.submissions.services import submission_create, submission_fetch, submission_retry
from apps.submissions.tasks import fetch_submission
from tests.submissions.arxiv_server import ARXIV_FIXTURES
from tests.submissions.conftest import (
    NEW_ID,
    NEW_PUBLISHED_ON,
    OLD_STYLE_ID,
    days_since,
    make_submitter,
    trust,
)

pytestmark = pytest.mark.django_db

Status = Submission.Status


@pytest.fixture
def young_enough(settings):
    """The saved paper counts as recent (it is from July 2025)."""
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = days_since(NEW_PUBLISHED_ON) + 1


def submit(user, text: str, django_capture_on_commit_callbacks) -> Submission:
    """Submit; the queued fetch is not sent to any worker (the tests run it here)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = submission_create(user=user, text=text)
    assert len(callbacks) == 1
    assert outcome.submission.status == Status.FETCHING
    return outcome.submission


@pytest.mark.usefixtures("young_enough")
def test_found_and_trusted_goes_on_todays_list(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    trust(submitter)
    submission = submit(
        submitter, "https://arxiv.org/abs/2507.10541v2", django_capture_on_commit_callbacks
    )

    fetched = submission_fetch(submission=submission)

    assert arxiv_api.requests == [NEW_ID]
    assert fetched.status == Status.PUBLISHED
    paper = Paper.objects.get(arxiv_id=NEW_ID)
    assert paper.title.startswith("REST: Stress Testing Large Reasoning Models")
    assert paper.published_on == NEW_PUBLISHED_ON
    assert paper.latest_version == 2
    assert list(paper.authorships.values_list("author__name", flat=True))[:2] == [
        "Zhuoshi Pan",
        "Qizhi Pei",
    ]
    submission.refresh_from_db()
    assert (submission.status, submission.paper) == (Status.PUBLISHED, paper)
    entry = DailyEntry.objects.get(paper=paper)
    assert (entry.day, entry.submitted_by) == (timezone.localdate(), submitter)


@pytest.mark.usefixtures("young_enough")
def test_found_and_untrusted_waits_for_review(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    submission = submit(submitter, "arXiv:2507.10541", django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    submission.refresh_from_db()
    assert submission.status == Status.PENDING
    assert submission.paper.arxiv_id == NEW_ID
    assert not DailyEntry.objects.exists()


def test_found_but_too_old_is_rejected_with_the_reason(
    arxiv_api, submitter, django_capture_on_commit_callbacks, settings
):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 30
    trust(submitter)
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    submission.refresh_from_db()
    assert submission.status == Status.REJECTED
    assert "14 July 2025" in submission.message
    assert f"{days_since(NEW_PUBLISHED_ON)} days ago" in submission.message
    assert not DailyEntry.objects.filter(paper__arxiv_id=NEW_ID).exists()


def test_an_old_style_id_is_fetched_and_stored_under_its_id(
    arxiv_api, submitter, django_capture_on_commit_callbacks, settings
):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 100_000
    submission = submit(
        submitter, "https://arxiv.org/abs/astro-ph/0601001v1", django_capture_on_commit_callbacks
    )

    submission_fetch(submission=submission)

    assert arxiv_api.requests == [OLD_STYLE_ID]
    submission.refresh_from_db()
    assert submission.status == Status.PENDING
    assert submission.paper.title.startswith("Frequency of Hot Jupiters")


def test_an_unknown_id_fails_and_stores_nothing(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    submission = submit(submitter, "2511.99999", django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    assert arxiv_api.requests == ["2511.99999"]
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.message == "arXiv has no paper with the id 2511.99999."
    assert submission.paper is None
    assert not Paper.objects.exists()


@pytest.mark.usefixtures("young_enough")
def test_arxiv_down_fails_with_a_retry_message_then_the_retry_succeeds(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    arxiv_api.failing = 2  # both attempts of the client's
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    assert arxiv_api.requests == [NEW_ID, NEW_ID]
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert "arXiv could not be reached" in submission.message
    assert "try again" in submission.message
    assert not Paper.objects.exists()
    assert not DailyEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = submission_retry(user=submitter, submission=submission)
    assert retried.status == Status.FETCHING
    assert len(callbacks) == 1
    submission_fetch(submission=retried)

    submission.refresh_from_db()
    assert (submission.status, submission.message) == (Status.PENDING, "")
    assert submission.paper.arxiv_id == NEW_ID


@pytest.mark.usefixtures("young_enough")
def test_one_failed_attempt_is_retried_by_the_client(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    arxiv_api.failing = 1
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    assert arxiv_api.requests == [NEW_ID, NEW_ID]
    submission.refresh_from_db()
    assert submission.status == Status.PENDING


def test_arxiv_refusing_the_request_fails_it(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    arxiv_api.fixed, arxiv_api.fixed_status = ARXIV_FIXTURES / "api_error.xml", 400
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.message == f"arXiv refused the request for {NEW_ID}; check the id."
    assert not Paper.objects.exists()


def test_an_unreadable_answer_fails_it(arxiv_api, submitter, django_capture_on_commit_callbacks):
    arxiv_api.fixed = ARXIV_FIXTURES / "malformed_truncated.xml"
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    submission_fetch(submission=submission)

    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert "could not be read" in submission.message
    assert not Paper.objects.exists()


@pytest.mark.usefixtures("young_enough")
def test_the_task_fetches_once_even_if_delivered_twice(
    arxiv_api, submitter, django_capture_on_commit_callbacks
):
    submission = submit(submitter, NEW_ID, django_capture_on_commit_callbacks)

    assert fetch_submission(submission.pk) == Status.PENDING  # the task, run in this process
    assert fetch_submission(submission.pk) == Status.PENDING

    assert arxiv_api.requests == [NEW_ID]
    assert Paper.objects.count() == 1


def test_the_task_of_a_deleted_submission_does_nothing(arxiv_api):
    assert fetch_submission(123_456_789) == "no such submission"
    assert arxiv_api.requests == []


@pytest.mark.usefixtures("young_enough")
def test_a_decided_submission_is_not_fetched_again(arxiv_api, submitter):
    other = make_submitter("other")
    submission = Submission.objects.create(
        submitted_by=other, arxiv_id=NEW_ID, status=Status.FAILED, message="down"
    )

    assert submission_fetch(submission=submission).status == Status.FAILED
    assert arxiv_api.requests == []
