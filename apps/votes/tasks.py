"""Periodic work for votes; thin wrappers around services."""

from celery import shared_task

from apps.votes.services import trending_scores_refresh


@shared_task(acks_late=True, ignore_result=True)
def refresh_trending_scores() -> int:
    """Beat: recompute every paper's trending score (cheap when nothing changed)."""
    return trending_scores_refresh()
