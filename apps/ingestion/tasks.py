"""Background work of ingestion; thin wrappers around services."""

import datetime as dt
import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from apps.core.failopen import enqueue
from apps.ingestion.client import ArxivUnavailable
from apps.ingestion.github import github_stars_refresh
from apps.ingestion.services import IngestBusy, ingest_listings
from apps.ingestion.thumbnails import thumbnail_render
from apps.papers.models import Paper

logger = logging.getLogger(__name__)

THUMBNAIL_SWEEP_DAYS = 7
THUMBNAIL_SWEEP_BATCH = 20
THUMBNAIL_FAILED_PAUSE = 7 * 24 * 3600
# arXiv down: no thumbnail downloads for a while (each would wait through the client's
# retries); the sweep picks the papers up again afterwards.
ARXIV_DOWN_PAUSE = 30 * 60
ARXIV_DOWN_KEY = "ingestion:thumbnails:arxiv-down"


@shared_task(acks_late=True)
def render_thumbnail(paper_id: int) -> str:
    """Give a paper its thumbnail, unless it has one; "rendered", "failed" or why not."""
    paper = Paper.objects.filter(pk=paper_id).only("arxiv_id", "thumbnail").first()
    if paper is None:
        return "no such paper"
    if paper.thumbnail:
        return "already rendered"
    if cache.get(ARXIV_DOWN_KEY):
        return "arxiv unavailable"
    try:
        rendered = thumbnail_render(paper=paper, raise_unavailable=True)
    except ArxivUnavailable as exc:
        logger.warning("No thumbnail for paper %s: arXiv unavailable: %s", paper_id, exc)
        cache.set(ARXIV_DOWN_KEY, True, ARXIV_DOWN_PAUSE)
        return "arxiv unavailable"
    if not rendered:
        # A broken PDF stays broken: the sweep below leaves the paper alone for a while.
        cache.set(_failed_key(paper_id), True, THUMBNAIL_FAILED_PAUSE)
    return "rendered" if rendered else "failed"


def _failed_key(paper_id: int) -> str:
    return f"ingestion:thumbnail-failed:{paper_id}"


@shared_task(acks_late=True, ignore_result=True)
def render_missing_thumbnails() -> int:
    """Beat: queue thumbnails for papers on recent days' lists that have none yet.

    Only featured papers get one (cards on the daily lists show it); each PDF download is a
    polite arXiv request, so a few per run. Returns how many were queued.
    """
    if cache.get(ARXIV_DOWN_KEY):
        return 0
    since = timezone.localdate() - dt.timedelta(days=THUMBNAIL_SWEEP_DAYS)
    candidates = list(
        Paper.objects.filter(daily_entry__day__gte=since, thumbnail="")
        .order_by("-daily_entry__day", "-upvotes_count")
        .values_list("pk", flat=True)[: THUMBNAIL_SWEEP_BATCH * 3]
    )
    failed = cache.get_many([_failed_key(pk) for pk in candidates])
    queued = [pk for pk in candidates if _failed_key(pk) not in failed][:THUMBNAIL_SWEEP_BATCH]
    for paper_id in queued:
        enqueue(render_thumbnail, args=[paper_id])
    return len(queued)


# A run asks arXiv politely (3 s apart) for every category's listing and then for the
# metadata of a few thousand ids: minutes, not the default two-minute limit of a task.
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=32 * 60)
def ingest_arxiv_listings() -> dict:
    """Beat: ingest the latest announcement of ARXIV_CATEGORIES (see services.ingest_listings).

    Raises IngestError on failure, so the task's result and the worker's log say why.
    """
    try:
        summary = ingest_listings()
    except IngestBusy as busy:
        logger.info("%s", busy)
        return {"status": "busy"}
    return {"status": "succeeded", **summary.as_dict()}


@shared_task(acks_late=True, ignore_result=True)
def refresh_github_stars() -> dict:
    """Beat: refresh the GitHub stars of the papers checked longest ago."""
    return github_stars_refresh()
