"""A real headless Chromium submits arXiv links; a real worker fetches them from a local arXiv
API serving saved real responses; the state changes in place, without a page reload."""

from __future__ import annotations

import pytest

from apps.submissions.models import Submission
from tests.e2e.conftest import log_in
from tests.factories import make_user
from tests.submissions.arxiv_server import FakeArxiv, serve_arxiv, worker_env
from tests.submissions.conftest import trust

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

STATE = "#submit-result .submission-status"


@pytest.fixture
def arxiv_api(httpserver, settings) -> FakeArxiv:
    return serve_arxiv(httpserver, settings)


@pytest.fixture
def celery_worker_env(arxiv_api, settings) -> dict[str, str]:
    # The saved papers are from 2025 and 2006: old enough to need a generous age limit.
    return worker_env(settings, max_age_days=100_000)


def submit_and_watch(page, live_server, link: str) -> list[str]:
    """Submit ``link`` on the submit page; returns the frames' navigations after loading it."""
    navigations: list[str] = []
    page.goto(f"{live_server.url}/papers/submit")
    page.evaluate("window.__noReload = 'still here'")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.fill("#id_text", link)
    page.click("#submit-form button[type=submit]")
    return navigations


def test_trusted_and_untrusted_submitters_see_the_state_change_in_place(
    browser, page, live_server, arxiv_api, celery_worker
):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    ada = make_user("ada")
    trust(ada)
    log_in(page, live_server, ada)

    navigations = submit_and_watch(page, live_server, "https://arxiv.org/abs/2507.10541v2")

    # Fetching first (the answer to the post), then the polling brings "Published".
    page.wait_for_selector(f"{STATE}[data-status=fetching]")
    assert "Fetching" in page.locator(STATE).inner_text()
    assert page.input_value("#id_text") == ""  # the form is ready for the next one
    page.wait_for_selector(f"{STATE}[data-status=published]", timeout=20_000)
    state = page.locator(STATE).inner_text()
    assert "Published — see it on today's list" in state
    assert "REST: Stress Testing Large Reasoning Models" in state
    link = page.locator(f"{STATE} .submission-state a")
    assert link.get_attribute("href") == "/papers/2507.10541"
    assert page.evaluate("window.__noReload") == "still here"
    assert navigations == []
    assert arxiv_api.requests == ["2507.10541"]

    # Someone without a track record: fetched the same way, then waits for a moderator.
    bob_page = browser.new_context().new_page()
    bob_page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(bob_page, live_server, make_user("bob"))

    navigations = submit_and_watch(bob_page, live_server, "arxiv.org/abs/astro-ph/0601001v1")

    bob_page.wait_for_selector(f"{STATE}[data-status=fetching]")
    bob_page.wait_for_selector(f"{STATE}[data-status=pending]", timeout=20_000)
    assert "Pending review" in bob_page.locator(STATE).inner_text()
    assert bob_page.evaluate("window.__noReload") == "still here"
    assert navigations == []
    assert Submission.objects.get(arxiv_id="2507.10541").status == Submission.Status.PUBLISHED
    assert Submission.objects.get(arxiv_id="astro-ph/0601001").status == Submission.Status.PENDING
    assert errors == []
    bob_page.context.close()
