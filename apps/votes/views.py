from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from apps.core.navigation import login_redirect, safe_next_url
from apps.papers.models import Paper
from apps.votes.receivers import PENDING_VOTE_SESSION_KEY
from apps.votes.responses import vote_attempt, vote_page_response
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
    outcome = vote_attempt(
        lambda: paper_vote_toggle(user=request.user, paper=paper).voted,
        lambda: bool(paper_ids_voted_by(user=request.user, paper_ids=[paper.pk])),
    )
    if request.htmx:
        context = {
            "paper": paper,
            "voted": outcome.voted,
            "vote_error": outcome.error,
            "next_url": next_url,
        }
        return render(request, f"{BUTTON_TEMPLATE}#vote_button", context, status=outcome.status)
    return vote_page_response(request, outcome, next_url)
