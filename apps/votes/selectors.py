"""Reads for votes: batch look-ups so a list page asks once, not once per paper."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.papers.models import Paper
from apps.users.models import User
from apps.votes.models import Vote


def paper_ids_voted_by(*, user: User | None, paper_ids: Iterable[int]) -> set[int]:
    """Which of these papers the user has upvoted, in one query (none for anonymous users)."""
    ids = list(paper_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(Vote.objects.filter(user=user, paper_id__in=ids).values_list("paper_id", flat=True))


def papers_upvoted_by(*, user: User) -> QuerySet[Paper]:
    """The papers a user upvoted, most recent vote first (for profiles)."""
    return Paper.objects.filter(votes__user=user).order_by("-votes__created_at", "-pk")


def paper_ids_voted_by_user(*, user: User) -> set[int]:
    """Every paper the user has upvoted (an index-only scan of the one-vote constraint)."""
    return set(Vote.objects.filter(user=user).values_list("paper_id", flat=True))
