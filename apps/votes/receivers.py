"""Votes follow accounts: a pending vote is applied at log-in, a deleted account's are removed."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import Paper
from apps.users.models import User
from apps.users.signals import user_deleting
from apps.votes.services import vote_set, votes_remove_all

PENDING_VOTE_SESSION_KEY = "votes:pending_paper_id"


@receiver(user_logged_in, dispatch_uid="votes_apply_pending_vote")
def apply_pending_vote(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    paper_id = request.session.pop(PENDING_VOTE_SESSION_KEY, None)
    if paper_id is None:
        return
    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None:
        return
    try:
        # "Set", not "toggle": a user who had already upvoted keeps the vote.
        vote_set(user=user, item=paper, voted=True)
    except (PermissionDenied, RateLimitExceeded):
        return


@receiver(user_deleting, dispatch_uid="votes_remove_on_account_deletion")
def remove_votes_of_deleted_account(sender, user: User, **kwargs) -> None:
    votes_remove_all(user=user)
