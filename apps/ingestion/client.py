"""The one way this site talks to arXiv: polite, retried, and the same for every process.

arXiv asks for at most one request every three seconds and a single connection at a time,
from all of a site's machines together. Every request therefore goes through Redis (the
cache's server, which all web, worker and beat processes share):

* a lock (redis-py ``Lock``) that one request holds from its wait to its last byte; it
  expires a little after ``ARXIV_TIMEOUT`` so a process that dies holding it frees it, and
  is renewed while a long body is still arriving;
* the time (Redis' clock, the same for every machine) when the last request finished, and
  a "not before" time set by a ``Retry-After`` or a back-off: the request that holds the lock
  sleeps until both have passed.

Without Redis there is no way to be polite, so nothing is sent to arXiv. All the knobs are
``ARXIV_*`` settings, read when a request is made.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import time
from collections.abc import Iterator
from typing import Any

import redis
import requests
from django.conf import settings
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from apps.ingestion.parsers import FeedError, ParsedEntry, open_feed

logger = logging.getLogger(__name__)

_CHUNK_BYTES = 64 * 1024
# Seconds a lock outlives ARXIV_TIMEOUT: a dead holder frees it that much after its timeout.
_LOCK_MARGIN = 10.0
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_PDF_MAGIC = b"%PDF-"


class ArxivError(Exception):
    """A request to arXiv failed; the message says why, for the person reading the log."""


class ArxivUnavailable(ArxivError):
    """arXiv (or Redis, which keeps us polite) could not be reached; trying later may work."""


class ArxivRejected(ArxivError):
    """arXiv refused the request or sent something unusable; trying again will not help."""


class _Retry(Exception):
    """An attempt failed in a way worth another attempt."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ArxivClient:
    """Requests to arXiv's query API, listing feeds and PDFs.

    The limiter lives in ``redis_url`` (by default the cache's Redis) under keys prefixed
    with ``namespace``: every client that talks to the same arXiv must share both (the
    defaults), which is what makes them wait for each other. A client (its
    ``requests.Session``) is for one thread at a time.
    """

    def __init__(
        self, *, namespace: str = "paperboard:arxiv", redis_url: str | None = None
    ) -> None:
        self.session = requests.Session()
        self._lock_key = f"{namespace}:lock"
        self._finished_key = f"{namespace}:last-finished"
        self._not_before_key = f"{namespace}:not-before"
        self._redis = redis.Redis.from_url(
            redis_url or _cache_redis_url(), socket_connect_timeout=2, socket_timeout=5
        )

    # --- Requests -------------------------------------------------------------------------

    def get(
        self, url: str, *, params: dict[str, Any] | None = None, max_bytes: int | None = None
    ) -> bytes:
        """The body of a successful GET, retried and spaced out as arXiv asks."""
        return self._request(url, params=params, max_bytes=max_bytes)

    def listing(self, category: str) -> bytes:
        """The latest daily listing feed of ``category`` (``ARXIV_LISTING_URL``)."""
        return self.get(settings.ARXIV_LISTING_URL.format(category=category))

    def query(
        self,
        *,
        id_list: list[str] | None = None,
        search_query: str | None = None,
        start: int = 0,
        max_results: int | None = None,
    ) -> bytes:
        """One page of the query API (``ARXIV_API_URL``); searches come oldest first."""
        if not id_list and not search_query:
            raise ValueError("query() needs id_list or search_query")
        params: dict[str, Any] = {
            "start": start,
            "max_results": settings.ARXIV_PAGE_SIZE if max_results is None else max_results,
        }
        if id_list:
            params["id_list"] = ",".join(id_list)
        if search_query:
            params.update(search_query=search_query, sortBy="submittedDate", sortOrder="ascending")
        return self.get(settings.ARXIV_API_URL, params=params)

    def fetch_ids(self, ids: list[str]) -> Iterator[ParsedEntry]:
        """The API's entries for ``ids``, ``ARXIV_PAGE_SIZE`` ids per request."""
        size = settings.ARXIV_PAGE_SIZE
        for offset in range(0, len(ids), size):
            chunk = ids[offset : offset + size]
            yield from open_feed(self.query(id_list=chunk, max_results=len(chunk)))

    def fetch_submitted(
        self, category: str, since: dt.date, until: dt.date
    ) -> Iterator[ParsedEntry]:
        """Papers of ``category`` submitted from ``since`` to ``until`` (inclusive), paged."""
        search = f"cat:{category} AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        start = 0
        while True:
            feed = open_feed(self.query(search_query=search, start=start))
            received = 0
            for entry in feed:
                received += 1
                yield entry
            start += received
            total = feed.total_results
            if received == 0 or (total is not None and start >= total):
                if received == 0 and total is not None and start < total:
                    logger.warning(
                        "arXiv sent an empty page at %d of %d results for %r; stopping there",
                        start,
                        total,
                        search,
                    )
                return

    def pdf(self, arxiv_id: str, *, max_bytes: int) -> bytes:
        """The PDF of ``arxiv_id`` (``ARXIV_PDF_URL``); ArxivRejected if it is not one."""
        url = settings.ARXIV_PDF_URL.format(arxiv_id=arxiv_id)
        body = self._request(url, max_bytes=max_bytes, expect_type="application/pdf")
        if not body.startswith(_PDF_MAGIC):
            raise ArxivRejected(
                f"arXiv's file for {arxiv_id} is not a PDF (it does not start with %PDF-)"
            )
        return body

    # --- Retries --------------------------------------------------------------------------

    def _request(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        max_bytes: int | None = None,
        expect_type: str | None = None,
    ) -> bytes:
        attempts = max(1, settings.ARXIV_MAX_ATTEMPTS)
        for attempt in range(attempts):
            try:
                return self._attempt(url, params, max_bytes, expect_type)
            except _Retry as failure:
                if attempt + 1 >= attempts:
                    raise ArxivUnavailable(
                        f"arXiv did not answer {url} after {attempts} attempts: {failure.reason}"
                    ) from None
                delay = failure.retry_after
                if delay is None:
                    delay = settings.ARXIV_BACKOFF_SECONDS * 2**attempt
                elif delay > settings.ARXIV_MAX_RETRY_AFTER:
                    raise ArxivUnavailable(
                        f"arXiv asked us to wait {delay:.0f} s before retrying {url} "
                        f"({failure.reason}), more than ARXIV_MAX_RETRY_AFTER "
                        f"({settings.ARXIV_MAX_RETRY_AFTER:.0f} s); giving up"
                    ) from None
                logger.warning(
                    "arXiv request to %s failed (%s); attempt %d of %d in %.2f s",
                    url,
                    failure.reason,
                    attempt + 2,
                    attempts,
                    delay,
                )
                self._defer_everyone(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        url: str,
        params: dict[str, Any] | None,
        max_bytes: int | None,
        expect_type: str | None,
    ) -> bytes:
        timeout = settings.ARXIV_TIMEOUT
        lock = self._acquire_turn()
        try:
            try:
                response = self.session.get(
                    url,
                    params=params,
                    timeout=(timeout, timeout),
                    stream=True,
                    # No idle connection left open between turns: one connection at a time.
                    headers={"User-Agent": _user_agent(), "Connection": "close"},
                )
            except requests.exceptions.InvalidURL as exc:
                raise ArxivRejected(f"cannot request {url}: {exc}") from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Retry(_describe(exc)) from exc
            with response:
                self._check_status(response, url)
                self._check_type(response, expect_type, url)
                return self._read_body(response, lock, max_bytes, url)
        finally:
            self._finish_turn(lock)

    def _check_status(self, response: requests.Response, url: str) -> None:
        status = response.status_code
        if status < 400:
            return
        what = f"HTTP {status} {response.reason or ''}".strip()
        if status == 429 or status >= 500:
            retry_after = (
                _retry_after(response.headers.get("Retry-After"))
                if status in _RETRY_AFTER_STATUSES
                else None
            )
            raise _Retry(what, retry_after)
        detail = _api_error_detail(response)
        raise ArxivRejected(f"arXiv refused {response.url}: {what}{detail}")

    @staticmethod
    def _check_type(response: requests.Response, expected: str | None, url: str) -> None:
        if expected is None:
            return
        content_type = response.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != expected:
            raise ArxivRejected(
                f"arXiv sent {content_type or 'no content type'} instead of {expected} for {url}"
            )

    def _read_body(
        self, response: requests.Response, lock: Lock, max_bytes: int | None, url: str
    ) -> bytes:
        if max_bytes is not None:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ArxivRejected(
                    f"{url} is {int(declared):,} bytes, more than the {max_bytes:,} allowed"
                )
        chunks: list[bytes] = []
        size = 0
        renewed = time.monotonic()
        renew_every = self._lock_timeout() / 3
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ArxivRejected(f"{url} is larger than the {max_bytes:,} bytes allowed")
                chunks.append(chunk)
                if time.monotonic() - renewed > renew_every:
                    # Still receiving: keep the turn, or another process would connect too.
                    self._renew(lock)
                    renewed = time.monotonic()
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retry(_describe(exc)) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _Retry(f"the response was cut off ({exc})") from exc
        return b"".join(chunks)

    # --- The limiter ----------------------------------------------------------------------

    def _lock_timeout(self) -> float:
        return settings.ARXIV_TIMEOUT + _LOCK_MARGIN

    def _acquire_turn(self) -> Lock:
        """Take the lock, then sleep (holding it) until this process may start a request."""
        interval = settings.ARXIV_REQUEST_INTERVAL
        # Long enough to let a few other requests (each up to a timeout) go first.
        patience = 4 * (settings.ARXIV_TIMEOUT + interval) + settings.ARXIV_MAX_RETRY_AFTER
        lock = self._redis.lock(
            self._lock_key, timeout=self._lock_timeout(), sleep=0.02, thread_local=False
        )
        try:
            if not lock.acquire(blocking=True, blocking_timeout=patience):
                raise ArxivUnavailable(
                    f"waited {patience:.0f} s for other requests to arXiv from this site to "
                    "finish; not contacting arXiv now"
                )
            finished, not_before = self._redis.mget(self._finished_key, self._not_before_key)
            start_at = max(
                float(finished) + interval if finished else 0.0,
                float(not_before) if not_before else 0.0,
            )
            wait = start_at - self._redis_now()
            if wait > 0:
                lock.extend(wait)  # the sleep must not eat into the request's own time
                time.sleep(wait)
        except RedisError as exc:
            raise _redis_unavailable(exc) from exc
        return lock

    def _finish_turn(self, lock: Lock) -> None:
        keep = max(60, math.ceil(settings.ARXIV_REQUEST_INTERVAL * 10))
        try:
            self._redis.set(self._finished_key, repr(self._redis_now()), ex=keep)
        except RedisError as exc:
            logger.error("could not record the end of an arXiv request in Redis: %s", exc)
        try:
            lock.release()
        except LockError:
            logger.warning("the arXiv request lock had expired before the request ended")
        except RedisError as exc:
            logger.error("could not release the arXiv request lock: %s", exc)

    def _renew(self, lock: Lock) -> None:
        try:
            lock.reacquire()
        except (LockError, RedisError) as exc:
            logger.warning("could not renew the arXiv request lock: %s", exc)

    def _defer_everyone(self, delay: float) -> None:
        """No process starts a request to arXiv for ``delay`` seconds (back-off, Retry-After)."""
        try:
            until = self._redis_now() + delay
            self._redis.set(self._not_before_key, repr(until), ex=math.ceil(delay) + 60)
        except RedisError as exc:
            raise _redis_unavailable(exc) from exc

    def _redis_now(self) -> float:
        # Redis' clock, not this machine's: the same for every process that compares.
        seconds, microseconds = self._redis.time()
        return seconds + microseconds / 1_000_000


# --- Helpers ---------------------------------------------------------------------------------


def _cache_redis_url() -> str:
    """The Redis server of the default cache (its LOCATION may list several; the first)."""
    location = settings.CACHES["default"]["LOCATION"]
    if isinstance(location, list | tuple):
        location = location[0]
    return location.split(",")[0].strip()


def _user_agent() -> str:
    return f"Paperboard/0.1 (+{settings.SITE_URL}; mailto:{settings.CONTACT_EMAIL})"


def _redis_unavailable(exc: Exception) -> ArxivUnavailable:
    return ArxivUnavailable(
        f"cannot reach Redis, which keeps arXiv requests polite; not contacting arXiv ({exc})"
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return f"no answer within ARXIV_TIMEOUT ({settings.ARXIV_TIMEOUT:g} s)"
    return f"connection failed ({type(exc).__name__}: {exc})"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _api_error_detail(response: requests.Response) -> str:
    """arXiv's own explanation when a 4xx carries an API error feed ("incorrect id format")."""
    try:
        body = response.raw.read(_CHUNK_BYTES, decode_content=True)
        list(open_feed(body))
    except FeedError as exc:
        if str(exc).startswith("arXiv rejected the query: "):
            return f" ({str(exc).removeprefix('arXiv rejected the query: ')})"
    except (requests.RequestException, OSError, ValueError):
        pass
    return ""
