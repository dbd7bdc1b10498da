"""Django's Redis cache backend, failing open, with one ``redis.Redis`` client per pool.

Failing open (``apps.core.failopen``): while Redis is down a read is a miss, a write is
dropped, ``add`` answers True (the caller goes ahead as if it had the key: allauth's rate-limit
lock, the shared pages' version) and ``delete`` False; pages render from the database. Each
outage is logged once a while, not per call. ``incr``/``decr`` are left to raise: a counter
that pretends would be wrong.

Django builds a new ``redis.Redis`` for every cache call, and each one fills a table of about
170 response callbacks: 0.2 ms of CPU per call, as much as the round trip itself, on every
shared page served from the cache. A client is thread-safe (connections come from its pool),
so one per pool is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from apps.core import failopen


class ReusedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient

    def fail_open[T](self, what: str, default: T, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` (a call to Redis), or ``default`` while Redis is down."""
        return failopen.call(failopen.REDIS, what, default, failopen.REDIS_ERRORS, function, *args)

    def get(self, key, default=None, version=None):
        return self.fail_open("cache get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self.fail_open("cache get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self.fail_open("cache has_key", False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.fail_open("cache set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self.fail_open(
            "cache set_many", list(data), super().set_many, data, timeout, version
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self.fail_open("cache add", True, super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self.fail_open("cache touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self.fail_open("cache delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self.fail_open("cache delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self.fail_open("cache clear", False, super().clear)
