"""What a vote request answers, for paper and comment votes alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.core.ratelimit import RateLimitExceeded


@dataclass(frozen=True)
class VoteOutcome:
    voted: bool
    error: str = ""
    status: int = 200


def vote_attempt(toggle: Callable[[], bool], voted_now: Callable[[], bool]) -> VoteOutcome:
    """Run ``toggle``; a refusal (banned, too fast) keeps the stored state and says why."""
    try:
        return VoteOutcome(voted=toggle())
    except (PermissionDenied, RateLimitExceeded) as exc:
        status = 429 if isinstance(exc, RateLimitExceeded) else 403
        return VoteOutcome(voted=voted_now(), error=str(exc), status=status)


def vote_page_response(request: HttpRequest, outcome: VoteOutcome, next_url: str) -> HttpResponse:
    """Without JavaScript: back where the vote was cast, or a page explaining the refusal."""
    if outcome.error:
        context = {"message": outcome.error, "next_url": next_url}
        return render(request, "votes/vote_refused.html", context, status=outcome.status)
    return redirect(next_url)
