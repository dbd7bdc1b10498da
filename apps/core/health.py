"""Liveness checks of the services Paperboard cannot work without."""

from django.core.cache import cache
from django.db import connection

from apps.core import failopen


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down" to a health check
        return False


def redis_is_up() -> bool:
    """Asks Redis itself, even while the cache fails open; an answer ends that at once."""
    try:
        client = cache._cache.get_client(write=True)  # the cache's own Redis connection pool
        up = bool(client.ping())
    except Exception:  # connection refused, timeout, auth error: all "down"
        return False
    if up:
        failopen.succeeded(failopen.REDIS)
    return up


def service_status() -> dict[str, bool]:
    return {"database": database_is_up(), "redis": redis_is_up()}
