from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from apps.core.htmx import vary_on_htmx
from apps.core.shared_cache import shared_page
from apps.profiles.selectors import PROFILE_TABS
from apps.users.selectors import profile_user

PAGE_SIZE = 20


@shared_page
@require_safe
@vary_on_htmx
def profile(request: HttpRequest, username: str, tab: str = "submitted") -> HttpResponse:
    if tab not in PROFILE_TABS:
        raise Http404("No such tab")
    owner = profile_user(username=username)
    if owner is None:
        raise Http404("No such user")
    if owner.username != username:
        return redirect("profiles:tab", username=owner.username, tab=tab, permanent=True)
    _, items = PROFILE_TABS[tab]
    page = Paginator(items(user=owner), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "owner": owner,
        "tab": tab,
        "tabs": {key: label for key, (label, _) in PROFILE_TABS.items()},
        "page": page,
        "is_owner": request.user.is_authenticated and request.user.pk == owner.pk,
    }
    template = "profiles/profile.html#tab_panel" if request.htmx else "profiles/profile.html"
    return render(request, template, context)
