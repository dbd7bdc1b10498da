"""Fixed-window rate limits counted in Redis (the Django cache), shared by all processes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` actions per ``window`` seconds."""

    limit: int
    window: int
    message: str


class RateLimitExceeded(Exception):
    """Raised by services when a user acts faster than a :class:`Rate` allows."""

    def __init__(self, rate: Rate, retry_after: int) -> None:
        super().__init__(rate.message)
        self.rate = rate
        self.retry_after = retry_after


def ratelimit_hit(*, scope: str, key: str, rate: Rate) -> None:
    """Count one action in the current window; raise when the window is already full.

    ``cache.add`` creates the counter with the window's expiry only if it is missing, and
    ``incr`` is atomic in Redis, so concurrent requests never under-count.
    """
    now = int(time.time())
    window_start = now - now % rate.window
    cache_key = f"ratelimit:{scope}:{key}:{window_start}"
    cache.add(cache_key, 0, timeout=rate.window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this is the first hit of a new window
        cache.add(cache_key, 1, timeout=rate.window + 1)
        count = 1
    if count > rate.limit:
        raise RateLimitExceeded(rate, retry_after=window_start + rate.window - now)
