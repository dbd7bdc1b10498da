"""Fixtures for the ingestion tests: saved arXiv responses and a local stand-in for arXiv.

The stand-in is pytest-httpserver's real HTTP server on localhost, made threaded here so
that concurrent requests would overlap (and be caught) rather than queue in the server.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from config.settings import redis_database

ARXIV_FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
# The limiter settings of the client tests: short, but long enough to measure.
INTERVAL = 0.2
BACKOFF = 0.05


def arxiv_fixture(name: str) -> bytes:
    """A saved arXiv response (see fixtures/arxiv/README.md for where each comes from)."""
    return (ARXIV_FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """pytest-httpserver's session server, threaded (its default serves one at a time)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def arxiv_server(settings, httpserver: HTTPServer) -> HTTPServer:
    """Every ARXIV_* setting pointed at the local server, with short waits and timeouts."""
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    settings.ARXIV_LISTING_URL = httpserver.url_for("/rss/{category}")
    settings.ARXIV_PDF_URL = httpserver.url_for("/pdf/{arxiv_id}")
    settings.ARXIV_REQUEST_INTERVAL = INTERVAL
    settings.ARXIV_BACKOFF_SECONDS = BACKOFF
    settings.ARXIV_TIMEOUT = 2.0
    settings.ARXIV_MAX_ATTEMPTS = 3
    settings.ARXIV_MAX_RETRY_AFTER = 5.0
    settings.ARXIV_PAGE_SIZE = 5
    settings.SITE_URL = "https://paperboard.test"
    settings.CONTACT_EMAIL = "arxiv-contact@paperboard.test"
    return httpserver


@pytest.fixture(scope="session")
def limiter_redis_url() -> str:
    """Where the client tests keep the limiter: the tests' Redis, a database of its own.

    Not the cache's database, which every test empties first (tests/conftest.py): another
    test session running meanwhile would empty it under a test measuring waits.
    """
    return redis_database(django_settings.REDIS_URL, 11)


@pytest.fixture
def limiter_namespace(limiter_redis_url) -> Iterator[str]:
    """Redis keys of this test's limiter alone; removed afterwards."""
    namespace = f"test:arxiv:{uuid.uuid4().hex}"
    yield namespace
    connection = redis.Redis.from_url(limiter_redis_url)
    keys = list(connection.scan_iter(f"{namespace}:*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def limiter_redis(limiter_redis_url) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(limiter_redis_url)
    yield connection
    connection.close()


@pytest.fixture
def arxiv_client(arxiv_server, limiter_namespace, limiter_redis_url):
    from apps.ingestion.client import ArxivClient

    client = ArxivClient(namespace=limiter_namespace, redis_url=limiter_redis_url)
    yield client
    client.session.close()


@dataclass
class Visit:
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    start: float  # time.monotonic() when the server began handling the request
    end: float = 0.0


@dataclass
class VisitLog:
    """What reached the server, when, and how many requests were in progress at once."""

    visits: list[Visit] = field(default_factory=list)
    active: int = 0
    most_active: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(
        self, respond: Callable[[Request], Response], *, hold: float = 0.0
    ) -> Callable[[Request], Response]:
        """Wrap ``respond``: record the visit, and take ``hold`` seconds to answer."""

        def handle(request: Request) -> Response:
            visit = Visit(
                path=request.path,
                args=dict(request.args),
                headers=dict(request.headers),
                start=time.monotonic(),
            )
            with self._lock:
                self.visits.append(visit)
                self.active += 1
                self.most_active = max(self.most_active, self.active)
            try:
                time.sleep(hold)
                return respond(request)
            finally:
                visit.end = time.monotonic()
                with self._lock:
                    self.active -= 1

        return handle

    def ordered(self) -> list[Visit]:
        return sorted(self.visits, key=lambda visit: visit.start)

    def pauses(self) -> list[float]:
        """Seconds between the end of each request and the start of the next."""
        return [after.start - before.end for before, after in pairwise(self.ordered())]


@pytest.fixture
def visit_log() -> VisitLog:
    return VisitLog()
