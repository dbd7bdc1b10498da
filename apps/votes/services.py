"""Votes: one row per user and paper; the paper's count is recomputed from the rows.

Every change locks the paper row first, then inserts or deletes the vote, then sets
``upvotes_count`` from ``COUNT(*)`` in one UPDATE, all in one transaction. The lock orders
concurrent votes on a paper, so each recount (a new snapshot under READ COMMITTED) sees every
earlier committed vote: the count always equals the rows, and a double click from two tabs
toggles on then off instead of racing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from apps.core.ratelimit import Rate, ratelimit_hit
from apps.papers.models import Paper
from apps.users.models import User
from apps.votes.models import Vote

VOTE_RATE = Rate(limit=60, window=60, message="You are voting too fast. Wait a minute and retry.")


@dataclass(frozen=True)
class VoteState:
    voted: bool
    upvotes_count: int


def _check_can_vote(user: User) -> None:
    if not user.is_active or user.is_banned:
        raise PermissionDenied("Your account cannot vote.")
    ratelimit_hit(scope="vote", key=str(user.pk), rate=VOTE_RATE)


def _recount(paper_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Paper._meta.db_table} SET upvotes_count = "  # noqa: S608 - table names from models
            f"(SELECT COUNT(*) FROM {Vote._meta.db_table} WHERE paper_id = %s) "
            "WHERE id = %s RETURNING upvotes_count",
            [paper_id, paper_id],
        )
        return cursor.fetchone()[0]


def _set_vote(*, user: User, paper: Paper, want: bool | None) -> VoteState:
    """Set the vote to ``want`` (``None``: toggle) and return the new state."""
    _check_can_vote(user)
    with transaction.atomic():
        list(Paper.objects.select_for_update().filter(pk=paper.pk).values_list("pk"))
        existing = Vote.objects.filter(user=user, paper=paper)
        if want is None:
            deleted, _ = existing.delete()
            voted = not deleted
            if voted:
                Vote.objects.create(user=user, paper=paper)
        elif want:
            Vote.objects.get_or_create(user=user, paper=paper)
            voted = True
        else:
            existing.delete()
            voted = False
        paper.upvotes_count = _recount(paper.pk)
    return VoteState(voted=voted, upvotes_count=paper.upvotes_count)


def paper_vote_toggle(*, user: User, paper: Paper) -> VoteState:
    """Upvote the paper, or take the upvote back if the user had already voted."""
    return _set_vote(user=user, paper=paper, want=None)


def paper_vote_set(*, user: User, paper: Paper, voted: bool) -> VoteState:
    """Make the user's vote on the paper exist (or not), whatever it was: idempotent."""
    return _set_vote(user=user, paper=paper, want=voted)
