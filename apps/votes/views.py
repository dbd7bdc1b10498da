from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.core.ratelimit import RateLimitExceeded
from apps.papers.models import Paper
from apps.votes.receivers import PENDING_VOTE_SESSION_KEY
from apps.votes.selectors import paper_ids_voted_by
from apps.votes.services import paper_vote_toggle

BUTTON_TEMPLATE = "votes/partials/vote_button.html"


def safe_next_url(request: HttpRequest, fallback: str) -> str:
    """Where to send the user back to: the form's ``next``, the htmx page, else ``fallback``."""
    candidates = [request.POST.get("next") or request.GET.get("next")]
    if request.htmx:
        candidates.append(request.htmx.current_url_abs_path)
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback


def login_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"
    if request.htmx:
        return HttpResponseClientRedirect(login_url)
    return redirect(login_url)


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
