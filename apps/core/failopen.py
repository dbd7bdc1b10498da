"""Carry on without Redis: it is Paperboard's cache and task queue, never where data lives.

While Redis is down the cache (``apps.core.cache``) answers misses and drops writes, rate
limits count nothing and refuse nothing (``apps.core.ratelimit``, allauth's limits through
the cache), and :func:`enqueue` logs a task it could not queue instead of raising after the
request's data was committed (README "Operations" lists what catches up). Pages render and
writes go through; ``/healthz`` says that Redis is down.

After a connection error a service is left alone for ``RETRY_AFTER_SECONDS`` in this process,
so that a request does not wait for one connection timeout per cache call when the host does
not answer at all; the first call after that pause tries again, and the first success closes
the circuit. Each service's failures are logged at most once per ``LOG_EVERY_SECONDS`` (with
how many calls failed or were skipped meanwhile), and its return once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

REDIS = "Redis"
BROKER = "Celery broker (Redis)"
# What "down" means: connection refused or reset, timeouts, a server still loading its data.
REDIS_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# Publishing wraps the transport's connection errors in kombu's OperationalError.
BROKER_ERRORS: tuple[type[Exception], ...] = (OperationalError, *REDIS_ERRORS, OSError)
RETRY_AFTER_SECONDS = 2.0
LOG_EVERY_SECONDS = 60.0


class _Outage:
    __slots__ = ("logged_at", "retry_at", "since", "unlogged")

    def __init__(self, now: float) -> None:
        self.since = now
        self.retry_at = now
        self.logged_at: float | None = None
        self.unlogged = 0


_outages: dict[str, _Outage] = {}
_lock = threading.Lock()


def available(service: str) -> bool:
    """False while a recent failure's retry pause lasts (counted as a call failed open)."""
    outage = _outages.get(service)
    if outage is None or time.monotonic() >= outage.retry_at:
        return True
    with _lock:
        outage.unlogged += 1
    return False


def failed(service: str, what: str, exc: BaseException) -> None:
    """Record a failure of ``service``: pause it, and log unless logged recently."""
    now = time.monotonic()
    with _lock:
        outage = _outages.setdefault(service, _Outage(now))
        outage.retry_at = now + RETRY_AFTER_SECONDS
        outage.unlogged += 1
        if outage.logged_at is not None and now - outage.logged_at < LOG_EVERY_SECONDS:
            return
        first = outage.logged_at is None
        outage.logged_at, unlogged, outage.unlogged = now, outage.unlogged, 0
    text = str(exc).strip()
    cause = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
    if first:
        logger.warning("%s unavailable, failing open: %s (%s)", service, what, cause)
    else:
        logger.warning(
            "%s still unavailable after %.0f s, failing open: %s (%s); "
            "%d call(s) failed open since the last message",
            service,
            now - outage.since,
            what,
            cause,
            unlogged,
        )


def succeeded(service: str) -> None:
    """Close the circuit after an outage (and say so once)."""
    if service not in _outages:
        return
    with _lock:
        outage = _outages.pop(service, None)
    if outage is not None:
        logger.warning(
            "%s answers again after %.1f s (%d call(s) failed open since the last message)",
            service,
            time.monotonic() - outage.since,
            outage.unlogged,
        )


def call[T](
    service: str,
    what: str,
    default: T,
    errors: tuple[type[Exception], ...],
    function: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """``function(*args, **kwargs)``, or ``default`` when ``service`` is down (``errors``)."""
    if not available(service):
        return default
    try:
        result = function(*args, **kwargs)
    except errors as exc:
        failed(service, what, exc)
        return default
    succeeded(service)
    return result


def enqueue(task: Task, **options: Any) -> bool:
    """``task.apply_async(**options)`` (``args=``, ``kwargs=``, ``countdown=``...); False
    (logged) when the broker is down.

    Callers run after their data is committed (often in ``transaction.on_commit``): a broker
    outage must not turn a saved write into a 500. The task is then lost; the beat tasks that
    sweep for missed work redo some (README "Operations").
    """

    def publish() -> bool:
        task.apply_async(**options)
        return True

    return call(BROKER, f"could not queue {task.name}", False, BROKER_ERRORS, publish)


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _outages.clear()
