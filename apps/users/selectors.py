"""Reads for profiles and author claims."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from apps.comments import selectors as comments_selectors
from apps.comments.models import Comment
from apps.papers.models import Paper
from apps.papers.selectors import papers_with_author_names
from apps.users.models import AuthorClaim, User
from apps.votes import selectors as votes_selectors


def profile_user(*, username: str) -> User | None:
    """The active account with this handle, in any letter case."""
    return User.objects.filter(username__iexact=username, is_active=True).first()


def papers_submitted_by(*, user: User) -> QuerySet[Paper]:
    """Papers whose daily entry this user submitted, newest submission first."""
    return papers_with_author_names(
        Paper.objects.filter(daily_entry__submitted_by=user)
        .select_related("daily_entry")
        .order_by("-daily_entry__submitted_at", "-pk")
    )


def papers_upvoted_by(*, user: User) -> QuerySet[Paper]:
    """Papers this user upvoted, latest vote first."""
    return papers_with_author_names(votes_selectors.papers_upvoted_by(user=user))


def papers_authored_by(*, user: User) -> QuerySet[Paper]:
    """Papers with an approved claim by this user, newest first."""
    return papers_with_author_names(
        Paper.objects.filter(
            authorships__claims__user=user,
            authorships__claims__status=AuthorClaim.Status.APPROVED,
        ).order_by("-published_on", "-pk")
    )


def comments_by(*, user: User) -> QuerySet[Comment]:
    """This user's visible comments, newest first, with their papers."""
    return comments_selectors.comments_by_user(user=user)


def approved_claims_for_papers(*, papers: Iterable[Paper]) -> dict[int, AuthorClaim]:
    """Approved claims on these papers' author slots, keyed by authorship id, in one query."""
    return {
        claim.authorship_id: claim
        for claim in AuthorClaim.objects.filter(
            authorship__paper__in=[paper.pk for paper in papers],
            status=AuthorClaim.Status.APPROVED,
        ).select_related("user")
    }


def claimed_author_slots(*, paper_ids: Iterable[int]) -> dict[tuple[int, int], User]:
    """Users with an approved claim on these papers' author slots, keyed by (paper id, position).

    One query for a whole listing (the API numbers authors by position, not by slot id).
    """
    claims = AuthorClaim.objects.filter(
        authorship__paper_id__in=list(paper_ids), status=AuthorClaim.Status.APPROVED
    ).select_related("user", "authorship")
    return {(c.authorship.paper_id, c.authorship.position): c.user for c in claims}


def claims_by_user_on_paper(*, user: User, paper: Paper) -> QuerySet[AuthorClaim]:
    return AuthorClaim.objects.filter(user=user, authorship__paper=paper)


def pending_author_claims() -> QuerySet[AuthorClaim]:
    """The moderators' queue, oldest first."""
    return (
        AuthorClaim.objects.filter(status=AuthorClaim.Status.PENDING)
        .select_related("user", "authorship__author", "authorship__paper")
        .order_by("created_at")
    )
