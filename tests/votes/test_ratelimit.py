import time

import pytest

from apps.core.ratelimit import Rate, RateLimitExceeded, ratelimit_hit

RATE = Rate(limit=3, window=60, message="Slow down.")


def test_allows_the_limit_then_refuses_with_the_message_and_retry_after():
    for _ in range(3):
        ratelimit_hit(scope="t", key="u1", rate=RATE)

    with pytest.raises(RateLimitExceeded, match="Slow down") as refused:
        ratelimit_hit(scope="t", key="u1", rate=RATE)

    assert 0 < refused.value.retry_after <= 60


def test_keys_and_scopes_are_counted_separately():
    for _ in range(3):
        ratelimit_hit(scope="t", key="u1", rate=RATE)

    ratelimit_hit(scope="t", key="u2", rate=RATE)
    ratelimit_hit(scope="other", key="u1", rate=RATE)


def test_a_new_window_starts_a_new_count():
    rate = Rate(limit=1, window=1, message="wait")
    time.sleep(1 - time.time() % 1 + 0.01)  # the start of a window
    ratelimit_hit(scope="w", key="u", rate=rate)
    with pytest.raises(RateLimitExceeded):
        ratelimit_hit(scope="w", key="u", rate=rate)

    time.sleep(1.05)

    ratelimit_hit(scope="w", key="u", rate=rate)
