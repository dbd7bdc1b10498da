from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.core.navigation import login_redirect, safe_next_url
from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import Paper
from apps.votes.receivers import PENDING_VOTE_SESSION_KEY
from apps.votes.selectors import paper_ids_voted_by
from apps.votes.services import paper_vote_toggle

BUTTON_TEMPLATE = "votes/partials/vote_button.html"


@require_POST
def paper_vote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """Toggle the user's upvote: the button in place for htmx, a redirect back without JS."""
    # Only what the button shows: the hot path skips the abstract and the search vector.
    paper = get_object_or_404(Paper.objects.only("arxiv_id", "upvotes_count"), arxiv_id=arxiv_id)
    next_url = safe_next_url(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        request.session[PENDING_VOTE_SESSION_KEY] = paper.pk
        return login_redirect(request, next_url)
    error, status = "", 200
    try:
        state = paper_vote_toggle(user=request.user, paper=paper)
        voted = state.voted
    except (PermissionDenied, RateLimitExceeded) as exc:
        error = str(exc)
        status = 429 if isinstance(exc, RateLimitExceeded) else 403
        voted = bool(paper_ids_voted_by(user=request.user, paper_ids=[paper.pk]))
    if request.htmx:
        context = {"paper": paper, "voted": voted, "vote_error": error, "next_url": next_url}
        return render(request, f"{BUTTON_TEMPLATE}#vote_button", context, status=status)
    if error:
        context = {"message": error, "next_url": next_url}
        return render(request, "votes/vote_refused.html", context, status=status)
    return redirect(next_url)
