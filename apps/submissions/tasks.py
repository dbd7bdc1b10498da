"""Background work of submissions; thin wrappers around services."""

import logging

from celery import shared_task

from apps.submissions import services
from apps.submissions.models import Submission

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def fetch_submission(submission_id: int) -> str:
    """Fetch a submitted paper from arXiv and decide; returns the submission's status.

    Only a submission still fetching is acted on, so a redelivered task does nothing twice.
    An unexpected crash (a bug, the time limit) fails the submission, which the submitter
    can retry, rather than leave it open for ever.
    """
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        return "no such submission"
    try:
        submission = services.submission_fetch(submission=submission)
    except Exception:
        logger.exception("submission %s: the fetch crashed", submission_id)
        services.submission_fetch_failed(submission=submission)
        raise
    return submission.status


@shared_task(acks_late=True, ignore_result=True)
def fail_stale_fetches() -> int:
    """Beat: fail fetches whose task was lost, so that their submitters see a Retry button."""
    return services.submissions_fail_stale()
