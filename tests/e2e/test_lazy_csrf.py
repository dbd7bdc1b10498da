"""A visitor's daily page sets no cookie; its subscribe box gets a CSRF token only when it is
used (static/js/csrf.js and GET /csrf), in a real headless Chromium."""

import datetime as dt
import re

import pytest

from apps.digests.models import Subscription
from tests.factories import make_entry

# As in production: the second visit is served the page stored for everyone.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shared_cache_on"),
]

EMAIL = "reader@example.org"


# The confirmation is queued on commit to Celery: eager, it runs in the live server's process.
@pytest.mark.usefixtures("celery_eager")
def test_the_box_fetches_a_token_on_submit_and_subscribes_in_place(
    browser, live_server, mailoutbox
):
    make_entry(day=dt.date(2024, 10, 1), title="Notes on the engine", upvotes=2)
    context = browser.new_context()
    page = context.new_page()
    asked_for_token = []
    page.on("request", lambda request: asked_for_token.append(request.url.endswith("/csrf")))

    for _ in range(2):  # rendered, then from the shared cache
        response = page.goto(f"{live_server.url}/")
        assert response.status == 200
        assert "set-cookie" not in response.all_headers()
    assert context.cookies() == []
    assert page.locator("input[name=csrfmiddlewaretoken]").count() == 0
    assert page.get_attribute("body", "hx-headers") is None
    vote = page.get_by_role("link", name=re.compile("Log in to upvote"))
    assert vote.get_attribute("href") == "/accounts/login/?next=%2F"
    assert not any(asked_for_token)

    page.evaluate("window.__same_page = true")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Subscribe").click()

    page.wait_for_selector("#subscribe-box >> text=Check your inbox")
    assert page.evaluate("window.__same_page") is True  # htmx swapped the box in place
    assert sum(asked_for_token) == 1
    assert [cookie["name"] for cookie in context.cookies()] == ["csrftoken"]
    assert Subscription.objects.get().email == EMAIL
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [EMAIL]
    context.close()


def test_without_javascript_the_box_opens_the_digest_form_filled_in(browser, live_server):
    make_entry(day=dt.date(2024, 10, 1), title="Notes on the engine")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    page.goto(f"{live_server.url}/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Subscribe").click()

    page.wait_for_url(re.compile(r"/digest\?email=reader%40example\.org"))
    assert page.locator("form.form-card input[name=email]").input_value() == EMAIL
    assert not Subscription.objects.exists()  # reading the form wrote nothing
    page.click("form.form-card button[type=submit]")  # the page's own form, with its token

    page.wait_for_selector("h1 >> text=Check your inbox")
    assert Subscription.objects.get().email == EMAIL
    context.close()
