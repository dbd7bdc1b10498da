"""Fixed-window rate limits counted in Redis (the Django cache), shared by all processes.

They fail open: while Redis is down nothing is counted and nothing refused (logged by
``apps.core.failopen``), so the site keeps working without its limits for that time.
"""

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

    One Redis round trip: ``SET NX EX`` creates the window's counter with its expiry only
    if it is missing, then ``INCR`` counts atomically, so concurrent requests never
    under-count and a counter never outlives its window. Counts 0 while Redis is down.
    """
    now = int(time.time())
    window_start = now - now % rate.window
    cache_key = cache.make_and_validate_key(f"ratelimit:{scope}:{key}:{window_start}")

    def count() -> int:
        client = cache._cache.get_client(cache_key, write=True)  # the cache's connection pool
        pipeline = client.pipeline(transaction=False)
        pipeline.set(cache_key, 0, ex=rate.window + 1, nx=True)
        pipeline.incr(cache_key)
        return pipeline.execute()[1]

    if cache.fail_open(f"rate limit {scope} not counted", 0, count) > rate.limit:
        raise RateLimitExceeded(rate, retry_after=window_start + rate.window - now)
