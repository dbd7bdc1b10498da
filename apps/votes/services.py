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
from apps.papers.services import trending_scores_refresh
from apps.users.models import User
from apps.users.roles import user_can_post

VOTE_RATE = Rate(limit=60, window=60, message="You are voting too fast. Wait a minute and retry.")


@dataclass(frozen=True)
class VoteState:
    voted: bool
    upvotes_count: int


def _check_can_vote(user: User) -> None:
    if not user_can_post(user):
        raise PermissionDenied("Your account cannot vote.")
    ratelimit_hit(scope="vote", key=str(user.pk), rate=VOTE_RATE)


# The statements of a vote, in SQL: a vote is the hottest write of the site, and each
# statement is one round trip with no ORM query building.
_LOCK_PAPER = "SELECT 1 FROM papers_paper WHERE id = %(paper)s FOR UPDATE"
_TOGGLE = (
    "WITH removed AS (DELETE FROM votes_vote WHERE user_id = %(user)s AND paper_id = %(paper)s "
    "RETURNING 1) "
    "INSERT INTO votes_vote (user_id, paper_id, created_at) SELECT %(user)s, %(paper)s, now() "
    "WHERE NOT EXISTS (SELECT 1 FROM removed) RETURNING 1"
)
_ADD = (
    "INSERT INTO votes_vote (user_id, paper_id, created_at) VALUES (%(user)s, %(paper)s, now()) "
    "ON CONFLICT (user_id, paper_id) DO NOTHING"
)
_REMOVE = "DELETE FROM votes_vote WHERE user_id = %(user)s AND paper_id = %(paper)s"
_RECOUNT = (
    "UPDATE papers_paper SET upvotes_count = "
    "(SELECT COUNT(*) FROM votes_vote WHERE paper_id = %(paper)s) "
    "WHERE id = %(paper)s RETURNING upvotes_count"
)


def _set_vote(*, user: User, paper: Paper, want: bool | None) -> VoteState:
    """Set the vote to ``want`` (``None``: toggle) and return the new state."""
    _check_can_vote(user)
    params = {"user": user.pk, "paper": paper.pk}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_PAPER, params)
        if cursor.fetchone() is None:
            raise Paper.DoesNotExist(f"Paper {paper.pk} is gone.")
        if want is None:
            cursor.execute(_TOGGLE, params)
            voted = cursor.fetchone() is not None
        else:
            cursor.execute(_ADD if want else _REMOVE, params)
            voted = want
        cursor.execute(_RECOUNT, params)
        paper.upvotes_count = cursor.fetchone()[0]
        trending_scores_refresh(paper_ids=[paper.pk])
    return VoteState(voted=voted, upvotes_count=paper.upvotes_count)


def paper_vote_toggle(*, user: User, paper: Paper) -> VoteState:
    """Upvote the paper, or take the upvote back if the user had already voted."""
    return _set_vote(user=user, paper=paper, want=None)


def paper_vote_set(*, user: User, paper: Paper, voted: bool) -> VoteState:
    """Make the user's vote on the paper exist (or not), whatever it was: idempotent."""
    return _set_vote(user=user, paper=paper, want=voted)


_RECOUNT_MANY = (
    "UPDATE papers_paper p SET upvotes_count = "
    "(SELECT COUNT(*) FROM votes_vote v WHERE v.paper_id = p.id) WHERE p.id = ANY(%(papers)s)"
)


def paper_votes_remove_all(*, user: User) -> int:
    """Remove every vote of a user (account deletion) and recount those papers; returns how many.

    The papers are locked in id order, the order every other vote locks them in one at a time,
    so this cannot deadlock with concurrent votes.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM papers_paper WHERE id IN "
            "(SELECT paper_id FROM votes_vote WHERE user_id = %(user)s) ORDER BY id FOR UPDATE",
            {"user": user.pk},
        )
        paper_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM votes_vote WHERE user_id = %(user)s", {"user": user.pk})
    paper_upvotes_recount(paper_ids=paper_ids)
    return len(paper_ids)


def paper_upvotes_recount(*, paper_ids: list[int]) -> None:
    """Set these papers' ``upvotes_count`` and trending score from their vote rows."""
    with connection.cursor() as cursor:
        cursor.execute(_RECOUNT_MANY, {"papers": paper_ids})
    trending_scores_refresh(paper_ids=paper_ids)
