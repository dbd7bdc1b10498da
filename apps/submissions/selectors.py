"""Reads for submissions: what the submitter sees of their own."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.submissions.models import Submission
from apps.users.models import User

RECENT_SUBMISSIONS = 20


def submissions_of(*, user: User) -> QuerySet[Submission]:
    """The user's submissions, newest first, with the paper and its daily entry (if any)."""
    return (
        Submission.objects.filter(submitted_by=user)
        .select_related("paper", "paper__daily_entry")
        .defer("paper__abstract", "paper__search_vector")
        .order_by("-created_at", "-pk")
    )


def submissions_recent(*, user: User, limit: int = RECENT_SUBMISSIONS) -> list[Submission]:
    return list(submissions_of(user=user)[:limit])
