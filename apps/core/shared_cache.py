"""Pages shared by every visitor: marked by their views, cached whole for anonymous visitors.

A view decorated with ``@shared_page`` promises that, for a visitor who is not logged in, its
response depends only on the URL (and the ``HX-Request`` header, when the view varies on it)
and on what the database holds. Such a page renders no CSRF token and sets no cookie for
visitors (``apps.core.context_processors.site``), so ``SharedPageCacheMiddleware`` keeps one
gzipped copy in Redis for everyone and answers from it before sessions, authentication and
the view run.

Staleness (README, "Caching"): every write to a table that shared pages show (any INSERT,
UPDATE or DELETE, whichever code path runs it: ``watch_writes``) replaces one data version
when its transaction commits, and a copy made under an older version is not served once it is
``SHARED_CACHE_STALE_SECONDS`` old (2 s): a hot page is rendered at most once per that time
however fast votes come in, and shows every write within it. Copies expire after
``SHARED_CACHE_TTL`` (60 s), which bounds what no write announces (relative times such as
"5 minutes ago"). Proxies and CDNs may keep a page ``SHARED_CACHE_PROXY_SECONDS`` (10 s).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csp import get_nonce
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

VERSION_KEY = "shared-pages:version"
PAGE_KEY_PREFIX = "shared-pages:page:"
# Tables whose rows shared pages show. A write to any other table (sessions, notifications,
# digest deliveries, rate limits...) leaves the shared pages as they are.
WATCHED_TABLES = re.compile(
    r'^"?(papers_\w+|comments_\w+|votes_\w+|users_user|ingestion_announcement|'
    r'moderation_moderationaction|digests_digest)"?$'
)
_WRITTEN_TABLE = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+("?\w+"?)', re.IGNORECASE)
# Logging in stamps last_login: nothing a shared page shows.
_LAST_LOGIN_ONLY = re.compile(r'^UPDATE "users_user" SET "last_login" = %s WHERE', re.IGNORECASE)
# Headers a stored page keeps (the ones the view and the middleware below this one set). The
# Content-Security-Policy is added to every answer, hits included, by the middleware above
# this one; a page's own policy (apps.core.csp.set_policy) is kept, and has no nonce.
_DROPPED_HEADERS = {"set-cookie", "content-length", "date", "content-encoding"}
# Headers a 304 repeats: browsers replace the kept copy's headers with them (a page's own
# policy would otherwise give way to the site's, which the CSP middleware adds to the 304).
_NOT_MODIFIED_HEADERS = {"cache-control", "vary", "content-security-policy"}


def shared_page(view):
    """Mark a view as a page shared by all anonymous visitors (see the module docstring)."""
    view.shared_page = True
    return view


def is_shared_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and getattr(match.func, "shared_page", False)


# --- Invalidation ------------------------------------------------------------------------


def pages_changed() -> None:
    """Make every shared page be rendered afresh (now; callers are after the commit)."""
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # Redis is a cache: pages expire after SHARED_CACHE_TTL anyway
        logger.warning("Could not mark the shared pages as changed", exc_info=True)


def _writes_watched_table(sql: str) -> bool:
    if sql.lstrip()[:6].upper() == "SELECT" or _LAST_LOGIN_ONLY.match(sql):
        return False
    return any(WATCHED_TABLES.match(table) for table in _WRITTEN_TABLE.findall(sql))


def _changed_on_commit(connection) -> None:
    """The shared pages change when this transaction commits (once per transaction)."""
    savepoints = set(connection.savepoint_ids)
    pending = any(
        func is pages_changed and sids == savepoints for sids, func, _ in connection.run_on_commit
    )
    if not pending:  # a rolled back savepoint drops it: then it is registered again
        transaction.on_commit(pages_changed, using=connection.alias)


def watch_writes(execute, sql, params, many, context):
    """Database execute wrapper: a write to a watched table changes the shared pages when its
    transaction commits."""
    result = execute(sql, params, many, context)
    if settings.SHARED_CACHE_ENABLED and isinstance(sql, str) and _writes_watched_table(sql):
        _changed_on_commit(context["connection"])
    return result


def copied_into(connection, table: str) -> None:
    """For ``COPY ... FROM STDIN``, which no execute wrapper sees."""
    if settings.SHARED_CACHE_ENABLED and WATCHED_TABLES.match(table):
        _changed_on_commit(connection)


def install_write_watch(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver (apps.core.apps)."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


# --- Shared data ---------------------------------------------------------------------------
DATA_KEY_PREFIX = "shared-pages:data:"


@dataclass(frozen=True)
class _StoredData:
    version: str
    stored_at: float
    value: object


def shared_data[T](name: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned for an earlier reader of the same data version.

    For what every reader of a page sees (a period's ranked entries, the latest day), under the
    same staleness rule as the shared pages; logged-in readers' pages use it, so only their
    personal part costs queries. One cache round trip.
    """
    if not settings.SHARED_CACHE_ENABLED:
        return compute()
    key = DATA_KEY_PREFIX + hashlib.sha256(name.encode()).hexdigest()
    version, stored = _lookup(key)
    now = time.time()
    if stored is not None and _fresh(stored.version, stored.stored_at, version, now):
        return stored.value
    value = compute()
    if version is not None:
        try:
            cache.set(key, _StoredData(version, now, value), timeout=settings.SHARED_CACHE_TTL)
        except Exception:
            logger.warning("Could not store shared data", exc_info=True)
    return value


def _fresh(stored_version: str, stored_at: float, version: str | None, now: float) -> bool:
    if version == stored_version:
        return True
    return now - stored_at < settings.SHARED_CACHE_STALE_SECONDS


def _lookup(key: str) -> tuple[str | None, Any]:
    """The current data version and what is stored under ``key``, in one round trip."""
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY)
    except Exception:
        logger.warning("Shared page cache unavailable", exc_info=True)
        return None, None
    return version, found.get(key)


# --- The cache -------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredPage:
    version: str
    stored_at: float
    etag: str
    headers: tuple[tuple[str, str], ...]
    body_gzip: bytes

    def fresh(self, version: str | None, now: float) -> bool:
        return _fresh(self.version, self.stored_at, version, now)


def _accepts_gzip(request: HttpRequest) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def _not_modified_since(request: HttpRequest, stored_at: float) -> bool:
    if "If-None-Match" in request.headers:
        return False
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(stored_at) <= since


@functools.lru_cache(maxsize=4096)
def _is_shared_path(urlconf: str, path: str) -> bool:
    """Whether the path's view is a shared page; a hit then costs no URL resolving."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "shared_page", False)


class SharedPageCacheMiddleware:
    """Answer anonymous GETs of shared pages from Redis; store what such a view renders.

    Sits right after WhiteNoise: a hit costs one Redis round trip and no session, user or
    database access. A request with a session or messages cookie may be a logged-in user's,
    so it always goes through the stack (and gets ``Cache-Control: private``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._may_share(request):
            return self._private(self.get_response(request))
        if not _is_shared_path(settings.ROOT_URLCONF, request.path_info):
            return self.get_response(request)
        key = self._key(request)
        version, stored = _lookup(key)
        now = time.time()
        if stored is not None and stored.fresh(version, now):
            return self._answer(request, stored, hit=True)
        response = self.get_response(request)
        if not self._storable(request, response):
            return response
        stored = self._store(key, version, now, response)
        return self._answer(request, stored, hit=False)

    @staticmethod
    def _may_share(request: HttpRequest) -> bool:
        return (
            settings.SHARED_CACHE_ENABLED
            and request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES
        )

    @staticmethod
    def _private(response: HttpResponse) -> HttpResponse:
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    @staticmethod
    def _key(request: HttpRequest) -> str:
        htmx = request.headers.get("HX-Request", "") == "true"
        raw = f"{request.get_full_path()}\n{htmx}"
        return PAGE_KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in cache_control
            and "no-store" not in cache_control
            and not request.user.is_authenticated
            # A page that used its CSP nonce would hand it to every visitor, with a header
            # that no longer allows it.
            and not get_nonce(request)
        )

    @staticmethod
    def _store(key: str, version: str | None, now: float, response: HttpResponse) -> StoredPage:
        body = response.content
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _DROPPED_HEADERS
        )
        stored = StoredPage(
            version=version or "",
            stored_at=now,
            etag=f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
            headers=headers,
            body_gzip=gzip.compress(body, compresslevel=6, mtime=0),
        )
        if version is not None:
            try:
                cache.set(key, stored, timeout=settings.SHARED_CACHE_TTL)
            except Exception:
                logger.warning("Could not store a shared page", exc_info=True)
        return stored

    @staticmethod
    def _answer(request: HttpRequest, stored: StoredPage, *, hit: bool) -> HttpResponse:
        if _etag_matches(request, stored.etag) or _not_modified_since(request, stored.stored_at):
            response: HttpResponse = HttpResponseNotModified()
        elif _accepts_gzip(request):
            response = HttpResponse(stored.body_gzip)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(stored.body_gzip))
        for name, value in stored.headers:
            if response.status_code == 200 or name.lower() in _NOT_MODIFIED_HEADERS:
                response[name] = value
        response["ETag"] = stored.etag
        response["Last-Modified"] = http_date(stored.stored_at)
        response["X-Cache"] = "hit" if hit else "miss"
        response["Cache-Control"] = (
            f"public, max-age=0, s-maxage={settings.SHARED_CACHE_PROXY_SECONDS}"
        )
        # Logged-in users get another page; the encoding is chosen by Accept-Encoding.
        patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
        return response


class SharedFeed(Feed):
    """A syndication feed that is a shared page: the same for every reader, read-only (a POST
    is a 405, as on the other shared pages)."""

    shared_page = True

    @method_decorator(require_safe)
    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return super().__call__(request, *args, **kwargs)
