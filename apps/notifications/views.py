from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.htmx import vary_on_htmx
from apps.core.navigation import local_path
from apps.notifications import selectors, services
from apps.notifications.forms import NotificationPreferenceForm
from apps.notifications.models import Notification

PAGE_SIZE = 30


def _page(request: HttpRequest) -> Page:
    notifications = selectors.notifications_for_user(user=request.user)
    return Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/list.html", {"page": _page(request)})


def _with_bell(request: HttpRequest, template_name: str, context: dict) -> HttpResponse:
    """An htmx fragment plus the header's bell, out of band, with the new unread count."""
    html = render_to_string(template_name, context, request)
    bell = render_to_string("notifications/partials/bell.html", {"oob": True}, request)
    return HttpResponse(html + bell)


def _destination(request: HttpRequest, notification: Notification) -> str:
    """Where a notification leads: its comment, or a moderation notice's own link (a path on
    this site; anything else, or none, leads back to the list)."""
    if notification.comment is not None:
        return notification.comment.get_absolute_url()
    return local_path(notification.url, request) or reverse("notifications:list")


@vary_on_htmx
@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read. With ``open`` (its title, a button in the list), then go to
    the comment, or a moderation notice's link: a POST rather than a link, so that nothing but
    the reader's click (no link prefetcher or scanner) marks it read; someone else's
    notification is a 404."""
    if request.POST.get("open"):
        notification = get_object_or_404(selectors.notifications_for_user(user=request.user), pk=pk)
        services.notification_mark_read(user=request.user, notification_id=pk)
        return HttpResponseRedirect(_destination(request, notification))
    services.notification_mark_read(user=request.user, notification_id=pk)
    if request.htmx:
        notification = get_object_or_404(selectors.notifications_for_user(user=request.user), pk=pk)
        return _with_bell(
            request, "notifications/list.html#notification", {"notification": notification}
        )
    return redirect("notifications:list")


@vary_on_htmx
@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    status = f"Marked {count} notification{'s' if count != 1 else ''} read."
    if request.htmx:
        # The page the reader is on, re-read (the form posts with the list's query string).
        context = {"page": _page(request), "status": status}
        return _with_bell(request, "notifications/list.html#notifications", context)
    messages.success(request, status)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    preference = services.notification_preference_get(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.notification_preference_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
