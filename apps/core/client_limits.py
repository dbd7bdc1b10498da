"""Per-client limits on the pages scrapers hammer: search and the JSON API.

Anonymous clients are counted per address (``apps.core.client_ip``; an IPv6 client per /64,
which one machine usually has whole), logged-in users per account, with a higher limit.
Only requests that reach the view count: a shared page answered from the page cache
(``apps.core.shared_cache``) costs one Redis read, less than counting it would, and an
anonymous scraper can only get cached copies of the same URLs that way; each new query or
page is a miss and counts. The limits are per minute, in settings (``*_RATE_PER_MINUTE``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.client_ip import client_ip
from apps.core.ratelimit import Rate, RateLimitExceeded, ratelimit_hit

WINDOW = 60
MESSAGE = "Too many requests from your address. Wait a minute and try again."
USER_MESSAGE = "Too many requests from your account. Wait a minute and try again."


def _address_key(request: HttpRequest) -> str:
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def client_ratelimit_hit(request: HttpRequest, scope: str) -> None:
    """Count one request of this client to ``scope`` ("search", "api"); RateLimitExceeded
    when its minute is full."""
    name = scope.upper()
    if request.user.is_authenticated:
        limit = getattr(settings, f"{name}_USER_RATE_PER_MINUTE")
        key, message = f"user:{request.user.pk}", USER_MESSAGE
    else:
        limit = getattr(settings, f"{name}_RATE_PER_MINUTE")
        key, message = f"ip:{_address_key(request)}", MESSAGE
    ratelimit_hit(scope=f"client-{scope}", key=key, rate=Rate(limit, WINDOW, message))


def retry_after(response: HttpResponse, exc: RateLimitExceeded) -> HttpResponse:
    """Say when to come back (``Retry-After``), and that the answer is this client's only."""
    response["Retry-After"] = str(max(exc.retry_after, 1))
    response["Cache-Control"] = "private, no-store"
    return response


def too_many_requests(request: HttpRequest, exc: RateLimitExceeded) -> HttpResponse:
    """The 429 page, with the wait in ``Retry-After``."""
    return retry_after(render(request, "429.html", {"message": str(exc)}, status=429), exc)
