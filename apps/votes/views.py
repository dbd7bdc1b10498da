"""Vote requests for papers and comments: the button in place for htmx, a redirect without JS."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from apps.comments.models import Comment
from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect, safe_next_url
from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import Paper
from apps.votes.receivers import pending_vote_set
from apps.votes.selectors import item_is_voted_by
from apps.votes.services import Votable, vote_toggle

BUTTONS_TEMPLATE = "votes/partials/vote_button.html"


def _vote(request: HttpRequest, item: Votable, next_url: str, button: str) -> HttpResponse:
    """Toggle the vote; a refusal (banned, too fast) keeps the stored state and says why."""
    error, status = "", 200
    try:
        voted = vote_toggle(user=request.user, item=item).voted
    except (PermissionDenied, RateLimitExceeded) as exc:
        error, status = str(exc), 429 if isinstance(exc, RateLimitExceeded) else 403
        voted = item_is_voted_by(user=request.user, item=item)
    if request.htmx:
        context = {button: item, "voted": voted, "vote_error": error, "next_url": next_url}
        return render(request, f"{BUTTONS_TEMPLATE}#{button}_vote", context, status=status)
    if error:
        context = {"message": error, "next_url": next_url}
        return render(request, "votes/vote_refused.html", context, status=status)
    return HttpResponseRedirect(next_url)


@vary_on_htmx
@require_POST
def paper_vote(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    # Only what the button shows: the hot path skips the abstract and the search vector.
    paper = get_object_or_404(Paper.objects.only("arxiv_id", "upvotes_count"), arxiv_id=arxiv_id)
    next_url = safe_next_url(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return pending_vote_set(login_redirect(request, next_url), paper_id=paper.pk)
    return _vote(request, paper, next_url, "paper")


@vary_on_htmx
@require_POST
def comment_vote(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.select_related("paper"), pk=pk)
    next_url = safe_next_url(request, comment.get_absolute_url())
    if not request.user.is_authenticated:
        return login_redirect(request, next_url)
    return _vote(request, comment, next_url, "comment")
