"""Votes follow accounts: a pending vote is applied at log-in, a deleted account's are removed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import Paper
from apps.users.models import User
from apps.users.signals import user_deleting
from apps.votes.services import vote_set, votes_remove_all

# The paper an anonymous visitor clicked to upvote, until they log in: a signed cookie rather
# than the session, so that a click (a scraper's, or with an expired session) writes no
# session row. PendingVoteCookieMiddleware removes it once used.
PENDING_VOTE_COOKIE = "pending_vote"
PENDING_VOTE_SALT = "votes.pending"
PENDING_VOTE_MAX_AGE = 3600


def pending_vote_set(response: HttpResponse, *, paper_id: int) -> HttpResponse:
    response.set_signed_cookie(
        PENDING_VOTE_COOKIE,
        str(paper_id),
        salt=PENDING_VOTE_SALT,
        max_age=PENDING_VOTE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",  # sent on the way back from GitHub's log-in, a top-level GET
    )
    return response


@receiver(user_logged_in, dispatch_uid="votes_apply_pending_vote")
def apply_pending_vote(sender, request: HttpRequest | None, user: User, **kwargs) -> None:
    if request is None or PENDING_VOTE_COOKIE not in request.COOKIES:
        return
    request.pending_vote_used = True
    value = request.get_signed_cookie(
        PENDING_VOTE_COOKIE, default=None, salt=PENDING_VOTE_SALT, max_age=PENDING_VOTE_MAX_AGE
    )
    if value is None or not value.isdigit():
        return
    paper = Paper.objects.filter(pk=int(value)).first()
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
