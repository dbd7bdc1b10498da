from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from apps.users import selectors, services
from apps.users.forms import AccountDeleteForm, ProfileForm
from apps.users.models import User


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
@reauthentication_required  # the page too: the form only shows once the password is confirmed
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


@login_required
def reauthenticate_github(request: HttpRequest) -> HttpResponse:
    """Confirm it is you by logging in with GitHub again (a re-authentication method, see
    ``AccountAdapter.get_reauthentication_methods``); back to ``next`` afterwards."""
    if not selectors.has_github_account(request.user):
        raise Http404("No GitHub account is linked to yours")
    query = {"process": AuthProcess.REDIRECT, "next": get_next_redirect_url(request) or "/"}
    return redirect(f"{reverse('github_login')}?{urlencode(query)}")
