"""Subscribing to the digest from the box on the daily page, in a real headless Chromium."""

import datetime as dt
import re

import pytest

from apps.digests.models import Subscription
from tests.factories import make_entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The confirmation is queued on commit to Celery: it runs in the live server's process, so it
# reaches the test outbox (no worker runs here).
@pytest.mark.usefixtures("celery_eager")
def test_subscribe_from_the_box_then_confirm_from_the_email(browser, live_server, mailoutbox):
    make_entry(day=dt.date(2024, 10, 1), title="Notes on the engine")
    context = browser.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()

    page.goto(f"{live_server.url}/")
    page.evaluate("window.__same_page = true")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()

    page.wait_for_selector("#subscribe-box >> text=Check your inbox")
    assert page.evaluate("window.__same_page") is True  # swapped in place
    assert page.is_visible("text=Notes on the engine")
    subscription = Subscription.objects.get()
    # The box's hidden zone was filled with the browser's own.
    assert (subscription.status, subscription.time_zone) == ("pending", "Asia/Tokyo")
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+(/digest/confirm/\S+)", mailoutbox[0].body).group(1)

    page.goto(f"{live_server.url}{link}")
    assert page.is_visible("text=r•••@example.org")
    page.get_by_role("button", name="Confirm subscription").click()

    page.wait_for_selector("h1 >> text=You're subscribed")
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert len(mailoutbox) == 1
    context.close()
