"""Reads for votes: batch look-ups so a list or a thread asks once, not once per item."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet

from apps.comments.models import Comment
from apps.papers.models import Paper
from apps.users.models import User
from apps.votes.models import CommentVote, Vote

_VOTED_PAPER_IDS = (
    f"SELECT paper_id FROM {Vote._meta.db_table} WHERE user_id = %s AND paper_id = ANY(%s)"  # noqa: S608
)


def _signed_in(user: User | AnonymousUser | None) -> bool:
    return user is not None and user.is_authenticated


def paper_ids_voted_by(*, user: User | AnonymousUser | None, paper_ids: Iterable[int]) -> set[int]:
    """Which of these papers the user has upvoted, in one query (none for anonymous users)."""
    ids = list(paper_ids)
    if not _signed_in(user) or not ids:
        return set()
    # Asked by every list page of a logged-in reader: one array parameter and no query
    # building cost a third of what the ORM's IN (%s, ... x 50) does.
    with connection.cursor() as cursor:
        cursor.execute(_VOTED_PAPER_IDS, [user.pk, ids])
        return {row[0] for row in cursor.fetchall()}


def comment_ids_voted_by(
    *, user: User | AnonymousUser | None, comment_ids: Iterable[int]
) -> set[int]:
    """Which of these comments the user has upvoted, in one query (none for anonymous users)."""
    ids = list(comment_ids)
    if not _signed_in(user) or not ids:
        return set()
    return set(
        CommentVote.objects.filter(user=user, comment_id__in=ids).values_list(
            "comment_id", flat=True
        )
    )


def item_is_voted_by(*, user: User | AnonymousUser | None, item: Paper | Comment) -> bool:
    """Whether the user has upvoted this one paper or comment."""
    if isinstance(item, Comment):
        return item.pk in comment_ids_voted_by(user=user, comment_ids=[item.pk])
    return item.pk in paper_ids_voted_by(user=user, paper_ids=[item.pk])


def papers_upvoted_by(*, user: User) -> QuerySet[Paper]:
    """The papers a user upvoted, most recent vote first (for profiles)."""
    return Paper.objects.filter(votes__user=user).order_by("-votes__created_at", "-pk")


def paper_ids_voted_by_user(*, user: User) -> set[int]:
    """Every paper the user has upvoted (an index-only scan of the one-vote constraint)."""
    return set(Vote.objects.filter(user=user).values_list("paper_id", flat=True))
