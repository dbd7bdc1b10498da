"""The account menu and the profile tabs in a real headless Chromium."""

import datetime as dt
import os
import shutil

import pytest
from allauth.account.models import EmailAddress

from tests.factories import make_entry, make_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(monkeypatch):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium is missing at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are not
    # concurrent with it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser.new_page()
        browser.close()


def test_log_in_switch_profile_tabs_with_htmx_and_log_out(page, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_user("ada", display_name="Ada Lovelace")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    make_entry(day=dt.date(2024, 10, 1), submitted_by=user, title="Notes on the engine")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form-card button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("details.user-menu summary")
    page.click("details.user-menu >> text=Profile")
    page.wait_for_url(f"{live_server.url}/users/ada")
    assert page.is_visible("text=Notes on the engine")

    # htmx swaps the tab in place (the page is not reloaded) and updates the address bar.
    page.evaluate("window.__same_page = true")
    page.click("nav.tabs >> text=Authored")
    page.wait_for_url(f"{live_server.url}/users/ada/authored")
    page.wait_for_selector("text=No authored papers yet.")
    assert page.evaluate("window.__same_page") is True
    assert page.get_attribute("nav.tabs a[aria-current=page]", "href") == "/users/ada/authored"

    page.click("details.user-menu summary")
    page.click("details.user-menu >> text=Log out")
    page.wait_for_selector("header >> text=Sign up")
