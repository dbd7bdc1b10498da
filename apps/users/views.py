from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.papers.models import Authorship, Paper
from apps.users import selectors, services
from apps.users.forms import AccountDeleteForm, ProfileForm
from apps.users.models import User

PROFILE_TABS = {
    "submitted": "Submitted",
    "upvoted": "Upvoted",
    "authored": "Authored",
    "comments": "Comments",
}
PAGE_SIZE = 20


def _tab_items(tab: str, user: User):
    if tab == "submitted":
        return selectors.papers_submitted_by(user=user)
    if tab == "upvoted":
        return selectors.papers_upvoted_by(user=user)
    if tab == "authored":
        return selectors.papers_authored_by(user=user)
    return selectors.comments_by(user=user)


@require_safe
@cache_control(public=True, max_age=3600)
def avatar(request: HttpRequest, username: str) -> HttpResponse:
    """The initials avatar the pages draw, as an image for API clients (``avatarUrl``)."""
    owner = selectors.profile_user(username=username)
    if owner is None:
        raise Http404("No such user")
    response = render(
        request,
        "users/partials/avatar.html",
        {"avatar_user": owner, "size": 40},
        content_type="image/svg+xml",
    )
    # An image, never a document: nothing in it may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@vary_on_headers("HX-Request")
def profile(request: HttpRequest, username: str, tab: str = "submitted") -> HttpResponse:
    if tab not in PROFILE_TABS:
        raise Http404("No such tab")
    owner = selectors.profile_user(username=username)
    if owner is None:
        raise Http404("No such user")
    if owner.username != username:
        return redirect("users:profile_tab", username=owner.username, tab=tab, permanent=True)
    page = Paginator(_tab_items(tab, owner), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "owner": owner,
        "tab": tab,
        "tabs": PROFILE_TABS,
        "page": page,
        "is_owner": request.user.is_authenticated and request.user.pk == owner.pk,
    }
    template = "users/profile.html#tab_panel" if request.htmx else "users/profile.html"
    return render(request, template, context)


@login_required
def profile_settings(request: HttpRequest) -> HttpResponse:
    # A fresh instance, so that a rejected form never leaks into request.user (the header).
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.PROFILE_FIELDS}
        services.profile_update(user=request.user, **fields)
        messages.success(request, "Profile saved.")
        return redirect("users:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "users/settings.html", {"form": form}, status=status)


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.user_delete(user=user)
        messages.success(request, "Your account has been deleted.")
        return redirect("papers:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "users/delete.html", {"form": form}, status=status)


@require_POST
@login_required
def author_claim_create(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    try:
        authorship_id = int(request.POST.get("authorship", ""))
    except ValueError:
        authorship_id = None
    authorship = Authorship.objects.filter(paper=paper, pk=authorship_id).first()
    error, status = None, 400
    if authorship is None:
        error = "Choose one of this paper's authors."
    else:
        try:
            services.author_claim_create(user=request.user, authorship=authorship)
        except PermissionDenied as exc:
            error, status = str(exc), 403
        except ValidationError as exc:
            error, status = exc.messages[0], 409
    if error is not None:
        return render(
            request, "users/claim_error.html", {"paper": paper, "error": error}, status=status
        )
    messages.success(
        request, f"Thanks! A moderator will review your claim to be {authorship.author.name}."
    )
    return redirect(paper)
