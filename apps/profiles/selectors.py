"""Reads for profile tabs: what a user submitted, upvoted, authored and wrote."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.comments.selectors import comments_by_user
from apps.papers.models import AuthorClaim, Paper
from apps.papers.selectors import papers_with_author_names
from apps.users.models import User
from apps.votes import selectors as votes_selectors


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


PROFILE_TABS = {
    "submitted": ("Submitted", papers_submitted_by),
    "upvoted": ("Upvoted", papers_upvoted_by),
    "authored": ("Authored", papers_authored_by),
    "comments": ("Comments", comments_by_user),
}
