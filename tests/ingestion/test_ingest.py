"""Ingestion end to end: saved arXiv files and a local arXiv into papers, announcements, runs."""

import datetime as dt
import re
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from werkzeug import Request, Response

from apps.ingestion import services
from apps.ingestion.models import Announcement, IngestCursor, IngestRun
from apps.ingestion.tasks import ingest_arxiv_listings
from apps.papers.models import Author, Paper
from tests.ingestion.conftest import ARXIV_FIXTURES, arxiv_fixture

pytestmark = pytest.mark.django_db

LISTING_DAY = dt.date(2024, 11, 28)  # the announcement in listing_rss_links.xml


def fixture_path(name: str) -> str:
    return str(ARXIV_FIXTURES / name)


def test_an_api_response_is_ingested_once_and_a_rerun_changes_nothing():
    summary = services.ingest_file(fixture_path("api_search.xml"))
    assert (summary.created, summary.updated, summary.unchanged) == (14, 0, 0)
    paper = Paper.objects.get(arxiv_id="2202.12139")
    assert paper.categories[:2] == ["cs.SE", "cs.LG"]
    assert paper.versions.count() == paper.latest_version
    assert paper.authorships.count() > 0
    modified = dict(Paper.objects.values_list("arxiv_id", "modified_at"))

    again = services.ingest_file(fixture_path("api_search.xml"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 14)
    assert dict(Paper.objects.values_list("arxiv_id", "modified_at")) == modified
    runs = list(IngestRun.objects.order_by("started_at").values_list("status", "created"))
    assert runs == [("succeeded", 14), ("succeeded", 0)]


def test_old_style_ids_and_affiliations_survive_the_trip():
    services.ingest_file(fixture_path("api_old_style_affiliations.xml"))
    paper = Paper.objects.get(arxiv_id="astro-ph/0601001")
    assert any(a.affiliation for a in paper.authorships.all())
    assert paper.get_absolute_url() == "/papers/astro-ph/0601001"


def test_a_listing_records_every_announcement_with_its_type():
    summary = services.ingest_file(fixture_path("listing_rss_links.xml"))
    assert summary.created == 13
    assert summary.announced == 13
    kinds = dict(Announcement.objects.values_list("paper__arxiv_id", "kind"))
    assert sorted(kinds.values()).count("new") == 8
    assert set(kinds.values()) == {"new", "replace", "cross"}
    assert set(Announcement.objects.values_list("day", flat=True)) == {LISTING_DAY}
    assert services.ingest_file(fixture_path("listing_rss_links.xml")).announced == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed_truncated.xml", "truncated or not well-formed"),
        ("malformed_html_503.html", "HTML page"),
        ("malformed_entry_without_id.xml", "no arXiv id"),
        ("malformed_bad_date.xml", "date"),
        ("api_error.xml", "arXiv"),
    ],
)
def test_bad_files_fail_whole_with_a_clear_error(name, message, caplog):
    with pytest.raises(services.IngestError, match=message):
        services.ingest_file(fixture_path(name))
    assert not Paper.objects.exists()
    assert not Author.objects.exists()
    run = IngestRun.objects.get()
    assert run.status == "failed"
    assert message.lower() in run.error.lower()
    assert any(message.lower() in r.getMessage().lower() for r in caplog.records)


def test_an_empty_listing_is_not_an_error():
    summary = services.ingest_file(fixture_path("listing_empty.xml"))
    assert (summary.created, summary.announced) == (0, 0)


def test_the_command_reports_a_summary_and_fails_with_a_clear_error(capsys):
    call_command("ingest_arxiv", "--from-file", fixture_path("api_search.xml"))
    assert "14 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    with pytest.raises(CommandError, match="HTML page"):
        call_command("ingest_arxiv", "--from-file", fixture_path("malformed_html_503.html"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ingest_arxiv", "--from-file", "/nonexistent/feed.xml")
    with pytest.raises(CommandError, match="one of"):
        call_command("ingest_arxiv", "--from-file", "x", "--ids", "2410.09692")
    with pytest.raises(CommandError, match="not a date"):
        call_command("ingest_arxiv", "--since", "yesterday")
    with pytest.raises(CommandError, match="not an arXiv id"):
        call_command("ingest_arxiv", "--ids", "2410.09692,../etc")


def test_a_dry_run_writes_nothing(capsys):
    call_command("ingest_arxiv", "--from-file", fixture_path("listing_rss.xml"), "--dry-run")
    assert "Dry run, nothing written: 18 created" in capsys.readouterr().out
    assert not Paper.objects.exists()
    assert not IngestRun.objects.exists()


def test_ids_are_fetched_from_the_api(arxiv_server, capsys):
    arxiv_server.expect_request("/api/query").respond_with_data(
        arxiv_fixture("api_old_style_affiliations.xml"), content_type="application/atom+xml"
    )
    call_command("ingest_arxiv", "--ids", "astro-ph/0601001")
    assert "1 created" in capsys.readouterr().out
    (request, _), *_ = arxiv_server.log
    assert request.args["id_list"] == "astro-ph/0601001"


def test_a_back_fill_pages_through_the_api(arxiv_server):
    """Two pages of 14 and 1 results: arXiv's pages, told apart by their ``start``."""
    pages = {
        "0": arxiv_fixture("api_search.xml"),
        "14": arxiv_fixture("api_old_style_affiliations.xml"),
    }

    def page(request: Request) -> Response:
        body = pages[request.args["start"]]
        body = re.sub(rb"<opensearch:totalResults>\d+<", b"<opensearch:totalResults>15<", body)
        return Response(body, content_type="application/atom+xml")

    arxiv_server.expect_request("/api/query").respond_with_handler(page)
    summary = services.ingest_submitted(
        ["cs.LG"], since=dt.date(2024, 11, 1), until=dt.date(2024, 11, 3)
    )
    assert summary.created == 15
    queries = [request.args for request, _ in arxiv_server.log]
    assert [q["start"] for q in queries] == ["0", "14"]
    assert "submittedDate:[202411010000 TO 202411032359]" in queries[0]["search_query"]
    assert "cat:cs.LG" in queries[0]["search_query"]


def api_response_for(arxiv_id: str) -> bytes:
    """A real API entry (from api_old_style_affiliations.xml) re-keyed to ``arxiv_id``."""
    return arxiv_fixture("api_old_style_affiliations.xml").replace(
        b"astro-ph/0601001", arxiv_id.encode()
    )


def test_listings_ingest_with_full_metadata_and_resume_where_they_stopped(arxiv_server):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_data(
        arxiv_fixture("listing_rss_links.xml"), content_type="application/rss+xml"
    )
    arxiv_server.expect_request("/rss/cs.CV").respond_with_data(
        arxiv_fixture("listing_empty.xml"), content_type="application/rss+xml"
    )
    arxiv_server.expect_request("/api/query").respond_with_data(
        api_response_for("2411.17702"), content_type="application/atom+xml"
    )

    summary = services.ingest_listings(["cs.LG", "cs.CV"])

    assert (summary.created, summary.announced) == (13, 13)
    complete = Paper.objects.get(arxiv_id="2411.17702")  # from the API: affiliations
    assert any(a.affiliation for a in complete.authorships.all())
    assert Paper.objects.filter(announcements__day=LISTING_DAY).count() == 13
    cursors = dict(IngestCursor.objects.values_list("source", "announced_on"))
    assert cursors == {"listing:cs.LG": LISTING_DAY}
    paths = [request.path for request, _ in arxiv_server.log]
    assert paths.count("/api/query") == 3  # 13 ids, 5 per request in these tests

    arxiv_server.clear_log()
    again = services.ingest_listings(["cs.LG", "cs.CV"])
    assert (again.created, again.updated, again.announced) == (0, 0, 0)
    assert [request.path for request, _ in arxiv_server.log] == ["/rss/cs.LG", "/rss/cs.CV"]


def test_missed_announcements_are_back_filled(arxiv_server):
    IngestCursor.objects.create(source="listing:cs.LG", announced_on=dt.date(2024, 11, 21))
    arxiv_server.expect_request("/rss/cs.LG").respond_with_data(
        arxiv_fixture("listing_rss_links.xml"), content_type="application/rss+xml"
    )
    arxiv_server.expect_request("/api/query").respond_with_data(
        arxiv_fixture("api_empty.xml"), content_type="application/atom+xml"
    )
    services.ingest_listings(["cs.LG"])
    searches = [r.args.get("search_query", "") for r, _ in arxiv_server.log]
    assert any("submittedDate:[202411210000 TO 202411282359]" in s for s in searches)
    assert IngestCursor.objects.get().announced_on == LISTING_DAY


def test_arxiv_down_fails_the_run_and_moves_no_cursor(arxiv_server):
    arxiv_server.expect_request("/rss/cs.LG").respond_with_data("busy", status=503)
    with pytest.raises(services.IngestError, match=r"listings cs\.LG: .*503"):
        services.ingest_listings(["cs.LG"])
    assert not IngestCursor.objects.exists()
    assert IngestRun.objects.get().status == "failed"


@pytest.mark.django_db(transaction=True)
def test_two_ingests_never_run_at_once():
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services._INGEST_LOCK])
        with pytest.raises(services.IngestBusy):
            services.ingest_file(fixture_path("api_search.xml"))
        assert ingest_arxiv_listings.apply().get() == {"status": "busy"}
        assert not Paper.objects.exists()
    finally:
        other.close()
    assert services.ingest_file(fixture_path("api_search.xml")).created == 14


def test_the_beat_task_reports_what_it_did_and_fails_loudly(arxiv_server, settings):
    settings.ARXIV_CATEGORIES = ["cs.LG"]
    arxiv_server.expect_request("/rss/cs.LG").respond_with_data(
        arxiv_fixture("listing_rss_links.xml"), content_type="application/rss+xml"
    )
    arxiv_server.expect_request("/api/query").respond_with_data(
        arxiv_fixture("api_empty.xml"), content_type="application/atom+xml"
    )
    result = ingest_arxiv_listings.apply().get()
    assert result["status"] == "succeeded"
    assert result["created"] == 13

    arxiv_server.clear()
    arxiv_server.expect_request("/rss/cs.LG").respond_with_data(
        arxiv_fixture("malformed_truncated.xml"), content_type="application/rss+xml"
    )
    IngestCursor.objects.all().delete()
    failed = ingest_arxiv_listings.apply()
    assert failed.failed()
    assert "truncated or not well-formed" in str(failed.result)


def test_the_parser_runs_ahead_but_an_error_still_stops_the_batch_in_order():
    """The read-ahead thread hands back errors; no thread is left behind."""
    before = threading.active_count()
    with pytest.raises(services.IngestError):
        services.ingest_file(fixture_path("malformed_bad_date.xml"))
    assert threading.active_count() == before
    assert connection.in_atomic_block  # the test's transaction, still usable
