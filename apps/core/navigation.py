"""Where to send a visitor next: safe return addresses, the log-in detour, and addresses on
the public site for emails, feeds and the API."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect


def absolute_url(path: str) -> str:
    """``path`` on the public site (SITE_URL); an absolute URL is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


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


def login_url(next_url: str) -> str:
    """The log-in page, coming back to ``next_url`` afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def login_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    """Send an anonymous visitor to log in (a full-page redirect for htmx too)."""
    if request.htmx:
        return HttpResponseClientRedirect(login_url(next_url))
    return redirect(login_url(next_url))
