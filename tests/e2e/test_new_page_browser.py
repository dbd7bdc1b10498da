"""The New page in a real browser: a saved arXiv listing, then a paper submitted from its row."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.ingestion.services import ingest_file
from apps.papers.models import DailyEntry
from tests.e2e.conftest import log_in
from tests.factories import make_user
from tests.ingestion.conftest import ARXIV_FIXTURES
from tests.submissions.conftest import trust

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

ROW = "#paper-2411\\.17702"  # "Finding 'Good Views' of Electrocardiogram Signals …"


def test_a_paper_of_the_day_is_submitted_from_its_row_in_place(page, live_server, settings):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 100_000  # the saved listing is from 2024
    ingest_file(str(ARXIV_FIXTURES / "listing_rss_links.xml"))
    ada = make_user("ada")
    trust(ada)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, live_server, ada)

    page.goto(f"{live_server.url}/papers/new")
    assert page.url.endswith("/papers/new/2024-11-28")
    assert page.locator(".tabs [aria-current=page]").inner_text().startswith("New (8)")
    page.evaluate("window.__noReload = 'still here'")
    page.click(f"{ROW} button:has-text('Submit to today')")

    # A stored paper is decided at once: the row's line becomes the submission's state.
    page.wait_for_selector(f"{ROW} .submission-status[data-status=published]")
    assert "Published" in page.locator(f"{ROW} .submission-status").inner_text()
    assert page.evaluate("window.__noReload") == "still here"
    entry = DailyEntry.objects.get(paper__arxiv_id="2411.17702")
    assert (entry.day, entry.submitted_by) == (timezone.localdate(), ada)
    assert errors == []
