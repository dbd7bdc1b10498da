"""The arXiv client against a real HTTP server on localhost and the tests' Redis.

The server records when each request arrived and how many were in progress at once, so
the limiter is checked where it matters: on the server's side.
"""

import datetime as dt
import email.utils
import itertools
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug import Request, Response

from apps.ingestion.client import ArxivClient, ArxivRejected, ArxivUnavailable
from tests.ingestion.conftest import INTERVAL, arxiv_fixture

BASE_DIR = Path(__file__).resolve().parents[2]
SLACK = 0.02  # seconds of timer and scheduling jitter tolerated in measured waits
LISTING = arxiv_fixture("listing_rss.xml")
SEARCH = arxiv_fixture("api_search.xml")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def listing_response(request: Request) -> Response:
    return Response(LISTING, content_type="application/rss+xml; charset=utf-8")


def search_response(request: Request) -> Response:
    return Response(SEARCH, content_type="application/atom+xml; charset=utf-8")


def closed_port() -> int:
    """A localhost port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "apps.ingestion.client"]


def test_requests_name_the_site_and_a_contact_address(arxiv_client, arxiv_server, visit_log):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(
        visit_log.handler(listing_response)
    )

    assert arxiv_client.listing("cs.LG") == LISTING
    [visit] = visit_log.visits
    assert visit.headers["User-Agent"] == (
        "Paperboard/0.1 (+https://paperboard.test; mailto:arxiv-contact@paperboard.test)"
    )


def test_the_lock_is_held_during_a_request_and_released_after(
    arxiv_client, arxiv_server, limiter_namespace, limiter_redis
):
    lock_ttls = []

    def respond(request: Request) -> Response:
        lock_ttls.append(limiter_redis.pttl(f"{limiter_namespace}:lock"))
        return listing_response(request)

    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(respond)

    arxiv_client.listing("cs.LG")
    # Expires a little after ARXIV_TIMEOUT (2 s here) if its holder dies mid-request.
    assert 2_000 < lock_ttls[0] <= 12_000
    assert not limiter_redis.exists(f"{limiter_namespace}:lock")


def test_a_lock_left_by_a_dead_process_expires(
    arxiv_client, arxiv_server, limiter_namespace, limiter_redis, visit_log
):
    limiter_redis.set(f"{limiter_namespace}:lock", "token-of-a-killed-worker", px=600)
    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(
        visit_log.handler(listing_response)
    )

    started = time.monotonic()
    arxiv_client.listing("cs.LG")
    assert visit_log.visits[0].start - started >= 0.6 - SLACK


def test_threads_with_their_own_clients_take_turns(
    arxiv_server, limiter_namespace, limiter_redis_url, visit_log
):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(
        visit_log.handler(listing_response, hold=0.05)
    )
    errors = []

    def work() -> None:
        client = ArxivClient(namespace=limiter_namespace, redis_url=limiter_redis_url)
        try:
            for _ in range(2):
                client.listing("cs.LG")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert len(visit_log.visits) == 6
    assert visit_log.most_active == 1
    assert min(visit_log.pauses()) >= INTERVAL - SLACK


WORKER = """
import sys

import django

django.setup()
from django.conf import settings

from apps.ingestion.client import ArxivClient

settings.ARXIV_LISTING_URL = sys.argv[1]
settings.ARXIV_REQUEST_INTERVAL = float(sys.argv[2])
client = ArxivClient(namespace=sys.argv[3], redis_url=sys.argv[4])
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[5])):
    client.listing("cs.LG")
"""


def test_processes_take_turns_through_redis(
    arxiv_client, arxiv_server, limiter_namespace, limiter_redis_url, settings, visit_log
):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(
        visit_log.handler(listing_response, hold=0.05)
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PAPERBOARD_TESTING": "1"}
    args = [settings.ARXIV_LISTING_URL, str(INTERVAL), limiter_namespace, limiter_redis_url, "3"]
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, *args],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        # This process joins in with its own requests, at the same time.
        arxiv_client.listing("cs.LG")
        arxiv_client.listing("cs.LG")
        for worker in workers:
            _, errors = worker.communicate(timeout=30)
            assert worker.returncode == 0, errors
    finally:
        for worker in workers:
            worker.kill()

    assert len(visit_log.visits) == 8
    assert visit_log.most_active == 1
    assert min(visit_log.pauses()) >= INTERVAL - SLACK


def test_server_errors_are_retried_with_exponential_backoff(
    arxiv_client, arxiv_server, settings, visit_log, caplog
):
    settings.ARXIV_BACKOFF_SECONDS = 0.3  # longer than the interval, so it shows
    answers = iter([Response("overloaded", status=500), Response("bad gateway", status=502), None])
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(lambda request: next(answers) or search_response(request))
    )

    with caplog.at_level(logging.WARNING, logger="apps.ingestion.client"):
        assert arxiv_client.query(id_list=["2005.14124"]) == SEARCH

    first, second = visit_log.pauses()
    assert first >= 0.3 - SLACK
    assert second >= 0.6 - SLACK
    warnings = client_warnings(caplog)
    assert len(warnings) == 2
    assert "HTTP 500" in warnings[0]
    assert "attempt 2 of 3" in warnings[0]
    assert "HTTP 502" in warnings[1]


def _in_two_seconds() -> str:
    return email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2), usegmt=True
    )


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [(503, lambda: "1"), (429, _in_two_seconds)],
    ids=["503-seconds", "429-http-date"],
)
def test_retry_after_is_honoured(arxiv_client, arxiv_server, visit_log, status, retry_after):
    calls = itertools.count()

    def respond(request: Request) -> Response:
        if next(calls) == 0:
            return Response("slow down", status=status, headers={"Retry-After": retry_after()})
        return search_response(request)

    arxiv_server.expect_request("/api/query").respond_with_handler(visit_log.handler(respond))

    assert arxiv_client.query(id_list=["2005.14124"]) == SEARCH
    # An HTTP date has whole seconds: "in 2 s" is between 1 and 2 s away once rounded down.
    [pause] = visit_log.pauses()
    assert pause >= 1.0 - SLACK


def test_a_retry_after_longer_than_allowed_gives_up(arxiv_client, arxiv_server, visit_log):
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(
            lambda request: Response("maintenance", status=503, headers={"Retry-After": "3600"})
        )
    )

    with pytest.raises(ArxivUnavailable) as failure:
        arxiv_client.query(id_list=["2005.14124"])
    assert "wait 3600 s" in str(failure.value)
    assert "ARXIV_MAX_RETRY_AFTER" in str(failure.value)
    assert len(visit_log.visits) == 1


def test_a_refused_connection_is_retried_then_reported(arxiv_client, settings, caplog):
    settings.ARXIV_API_URL = f"http://127.0.0.1:{closed_port()}/api/query"

    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="apps.ingestion.client"),
        pytest.raises(ArxivUnavailable, match="after 3 attempts") as failure,
    ):
        arxiv_client.query(id_list=["2005.14124"])

    assert "connection failed" in str(failure.value)
    # Each retry waited for its turn: two intervals at least.
    assert time.monotonic() - started >= 2 * INTERVAL - SLACK
    assert len(client_warnings(caplog)) == 2


def test_a_read_timeout_is_retried(arxiv_client, arxiv_server, settings, visit_log, caplog):
    settings.ARXIV_TIMEOUT = 0.3
    calls = itertools.count()

    def respond(request: Request) -> Response:
        if next(calls) == 0:
            time.sleep(1.0)  # longer than ARXIV_TIMEOUT: the client gives up waiting
        return search_response(request)

    arxiv_server.expect_request("/api/query").respond_with_handler(visit_log.handler(respond))

    with caplog.at_level(logging.WARNING, logger="apps.ingestion.client"):
        assert arxiv_client.query(id_list=["2005.14124"]) == SEARCH
    assert len(visit_log.visits) == 2
    [warning] = client_warnings(caplog)
    assert "no answer within ARXIV_TIMEOUT (0.3 s)" in warning


def api_pages(total: int, size: int) -> dict[int, bytes]:
    """The saved search response cut into pages of ``size`` of its first ``total`` entries."""
    head, *bodies = SEARCH.split(b"  <entry>\n")
    tail = b"</feed>\n"
    entries = [b"  <entry>\n" + body.removesuffix(tail) for body in bodies]
    head = re.sub(rb"<opensearch:totalResults>\d+<", b"<opensearch:totalResults>%d<" % total, head)
    return {
        start: head + b"".join(entries[start : min(start + size, total)]) + tail
        for start in range(0, total + size, size)
    }


def test_fetch_submitted_pages_through_the_results(arxiv_client, arxiv_server, visit_log):
    pages = api_pages(total=12, size=5)  # ARXIV_PAGE_SIZE is 5 in these tests
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(lambda request: Response(pages[int(request.args["start"])]))
    )

    entries = list(arxiv_client.fetch_submitted("cs.SE", dt.date(2024, 1, 1), dt.date(2024, 1, 31)))

    assert [entry.record.arxiv_id for entry in entries] == [
        "2202.12139", "2405.13786", "2005.14124", "2204.08348", "2302.03287",
        "2202.06271", "2409.05654", "2507.10541", "1706.00679", "cs/0503050",
        "0804.0970", "hep-ph/0301050",
    ]  # fmt: skip
    assert [visit.args["start"] for visit in visit_log.visits] == ["0", "5", "10"]
    for visit in visit_log.visits:
        assert visit.args["max_results"] == "5"
        assert visit.args["search_query"] == (
            "cat:cs.SE AND submittedDate:[202401010000 TO 202401312359]"
        )
        assert (visit.args["sortBy"], visit.args["sortOrder"]) == ("submittedDate", "ascending")


def test_fetch_submitted_stops_at_an_empty_page(arxiv_client, arxiv_server, visit_log, caplog):
    # Page 5 is empty, though both pages announce 30 results (arXiv does that at times).
    pages = {
        start: page.replace(b"<opensearch:totalResults>5<", b"<opensearch:totalResults>30<")
        for start, page in api_pages(total=5, size=5).items()
    }
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(lambda request: Response(pages[int(request.args["start"])]))
    )

    with caplog.at_level(logging.WARNING, logger="apps.ingestion.client"):
        entries = list(
            arxiv_client.fetch_submitted("cs.SE", dt.date(2024, 1, 1), dt.date(2024, 1, 2))
        )

    assert len(entries) == 5
    assert len(visit_log.visits) == 2
    assert "empty page at 5 of 30" in client_warnings(caplog)[0]


def test_fetch_ids_asks_for_a_page_of_ids_at_a_time(arxiv_client, arxiv_server, visit_log):
    one_paper = arxiv_fixture("api_old_style_affiliations.xml")
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(lambda request: Response(one_paper))
    )
    ids = ["2401.00001", "2401.00002v2", "2401.00003", "2401.00004", "2401.00005"]
    ids += ["hep-th/9901001", "2401.00007"]

    entries = list(arxiv_client.fetch_ids(ids))

    assert [entry.record.arxiv_id for entry in entries] == ["astro-ph/0601001"] * 2
    assert [visit.args["id_list"] for visit in visit_log.visits] == [
        "2401.00001,2401.00002v2,2401.00003,2401.00004,2401.00005",
        "hep-th/9901001,2401.00007",
    ]
    assert [visit.args["max_results"] for visit in visit_log.visits] == ["5", "2"]


def test_an_api_error_is_rejected_with_arxivs_explanation(arxiv_client, arxiv_server, visit_log):
    arxiv_server.expect_request("/api/query").respond_with_handler(
        visit_log.handler(lambda request: Response(arxiv_fixture("api_error.xml"), status=400))
    )

    with pytest.raises(
        ArxivRejected, match=r"HTTP 400 BAD REQUEST \(incorrect id format for abc\)"
    ):
        arxiv_client.query(id_list=["abc"])
    assert len(visit_log.visits) == 1


def test_pdf_returns_the_file(arxiv_client, arxiv_server):
    arxiv_server.expect_request("/pdf/2410.09692v2").respond_with_data(
        PDF, content_type="application/pdf"
    )

    assert arxiv_client.pdf("2410.09692v2", max_bytes=10_000) == PDF


def _streamed(body: bytes) -> Response:
    # A generator body: no Content-Length, the size is only known by reading.
    return Response(
        (body[i : i + 512] for i in range(0, len(body), 512)), content_type="application/pdf"
    )


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (
            lambda request: Response(
                b"<!DOCTYPE html><title>Just a moment...</title>",
                content_type="text/html; charset=utf-8",
            ),
            "arXiv sent text/html; charset=utf-8 instead of application/pdf",
        ),
        (
            lambda request: Response(b"<html>an error page</html>", content_type="application/pdf"),
            "arXiv's file for 2410.09692 is not a PDF",
        ),
        (
            lambda request: Response(PDF * 40, content_type="application/pdf"),
            f"is {len(PDF) * 40:,} bytes, more than the 1,000 allowed",
        ),
        (lambda request: _streamed(PDF * 40), "larger than the 1,000 bytes allowed"),
        (
            lambda request: Response("Not Found", status=404),
            "HTTP 404 NOT FOUND",
        ),
    ],
    ids=["html", "not-a-pdf", "too-big", "too-big-streamed", "not-found"],
)
def test_pdf_refuses_what_is_not_a_pdf(arxiv_client, arxiv_server, visit_log, respond, message):
    arxiv_server.expect_request("/pdf/2410.09692").respond_with_handler(visit_log.handler(respond))

    with pytest.raises(ArxivRejected) as failure:
        arxiv_client.pdf("2410.09692", max_bytes=1_000)

    assert message in str(failure.value)
    assert len(visit_log.visits) == 1  # refusals are not retried


def test_without_redis_arxiv_is_not_contacted(arxiv_server, limiter_namespace, settings, visit_log):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_handler(
        visit_log.handler(listing_response)
    )
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/9",
        }
    }
    client = ArxivClient(namespace=limiter_namespace)

    with pytest.raises(
        ArxivUnavailable, match="cannot reach Redis, which keeps arXiv requests polite"
    ):
        client.listing("cs.LG")
    assert visit_log.visits == []
