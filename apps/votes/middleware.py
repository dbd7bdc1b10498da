"""Removes the pending-vote cookie once a log-in used it (apps.votes.receivers)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.votes.receivers import PENDING_VOTE_COOKIE


class PendingVoteCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "pending_vote_used", False):
            response.delete_cookie(PENDING_VOTE_COOKIE, samesite="Lax")
        return response
