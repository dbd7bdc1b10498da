"""A real Celery worker process fetches submitted papers from the (local) arXiv API."""

from __future__ import annotations

import time

import pytest

from apps.papers.models import DailyEntry, Paper
from apps.submissions.models import Submission
from apps.submissions.services import submission_create
from tests.submissions.arxiv_server import worker_env
from tests.submissions.conftest import NEW_ID, NEW_PUBLISHED_ON, days_since, trust

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Submission.Status


@pytest.fixture
def celery_worker_env(arxiv_api, settings) -> dict[str, str]:
    """The worker asks the local API too (overrides the root conftest's empty environment)."""
    return worker_env(settings, max_age_days=days_since(NEW_PUBLISHED_ON) + 1)


def wait_while_fetching(submission: Submission, worker, timeout: float = 30) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.status != Status.FETCHING:
            return submission
        time.sleep(0.1)
    pytest.fail(f"still fetching after {timeout} s; worker log:\n{worker.log.read_text()[-3000:]}")


def test_the_worker_fetches_publishes_and_fails_cleanly(arxiv_api, celery_worker, submitter):
    trust(submitter)

    # Queued on commit, as in a request; the worker picks it up from Redis.
    found = submission_create(user=submitter, text="https://arxiv.org/abs/2507.10541v2")
    unknown = submission_create(user=submitter, text="arXiv:2511.99999")

    found = wait_while_fetching(found.submission, celery_worker)
    unknown = wait_while_fetching(unknown.submission, celery_worker)

    assert found.status == Status.PUBLISHED, found.message
    assert DailyEntry.objects.get(paper__arxiv_id=NEW_ID).submitted_by == submitter
    assert (unknown.status, unknown.message) == (
        Status.FAILED,
        "arXiv has no paper with the id 2511.99999.",
    )
    assert not Paper.objects.filter(arxiv_id="2511.99999").exists()
    assert sorted(arxiv_api.requests) == sorted([NEW_ID, "2511.99999"])
