"""Where to send a visitor next: safe return addresses, the log-in detour, and addresses on
the public site for emails, feeds and the API."""

from __future__ import annotations

import functools
from urllib.parse import quote, urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS, url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect


def absolute_url(path: str) -> str:
    """``path`` on the public site (SITE_URL); an absolute URL is returned as it is."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


@functools.lru_cache(maxsize=64)
def _url_around(name: str, sample: str, prefix: str, urlconf: str) -> tuple[str, str]:
    before, after = reverse(name, args=[sample], urlconf=urlconf).split(sample)
    return before, after


def url_with(name: str, value: str, *, sample: str) -> str:
    """``reverse(name, args=[value])`` for a URL with one argument already known to be valid
    (an id or a handle read from the database), which ``sample`` stands for.

    The URL is reversed once per process and filled in: a list of 50 papers links each of
    them and their submitters, and ``reverse()`` costs about 40 µs each time. The value is
    quoted as ``reverse()`` quotes it.
    """
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    before, after = _url_around(name, sample, get_script_prefix(), urlconf)
    return f"{before}{quote(value, safe=RFC3986_SUBDELIMS + '/~:@')}{after}"


@functools.lru_cache(maxsize=8)
def _login_path(prefix: str, urlconf: str) -> str:
    return resolve_url(settings.LOGIN_URL)


# Longer return addresses are refused (they only come from crafted requests) rather than
# written into a Location header and the log-in link.
MAX_NEXT_LENGTH = 2000


def local_path(candidate: str | None, request: HttpRequest) -> str | None:
    """``candidate`` if it is a path on this site ("/…", not "//host" nor "/\\host"), short
    and free of control characters, so that it can go straight into a Location header; else
    None. A bare word ("back") is not a path: ``redirect()`` would try to reverse it."""
    if (
        not candidate
        or len(candidate) > MAX_NEXT_LENGTH
        or candidate[0] != "/"
        or candidate[1:2] in ("/", "\\")
        or any(ord(char) < 32 or ord(char) == 127 for char in candidate)
    ):
        return None
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else None


def safe_next_url(request: HttpRequest, fallback: str) -> str:
    """Where to send the user back to: the form's ``next``, the htmx page, else ``fallback``
    (a path of this site: the result is a URL, never a name for ``redirect()`` to reverse)."""
    candidates = [request.POST.get("next") or request.GET.get("next")]
    if request.htmx:
        candidates.append(request.htmx.current_url_abs_path)
    for candidate in candidates:
        if path := local_path(candidate, request):
            return path
    return fallback


def login_url(next_url: str) -> str:
    """The log-in page, coming back to ``next_url`` afterwards."""
    login_path = _login_path(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{login_path}?{urlencode({'next': next_url})}"


def login_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    """Send an anonymous visitor to log in (a full-page redirect for htmx too)."""
    if request.htmx:
        return HttpResponseClientRedirect(login_url(next_url))
    return redirect(login_url(next_url))
