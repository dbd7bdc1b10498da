"""The account menu and the profile tabs in a real headless Chromium."""

import datetime as dt

import pytest

from tests.e2e.conftest import log_in
from tests.factories import make_entry, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("fast_password_hasher")
def test_log_in_switch_profile_tabs_with_htmx_and_log_out(page, live_server):
    user = make_user("ada", display_name="Ada Lovelace")
    make_entry(day=dt.date(2024, 10, 1), submitted_by=user, title="Notes on the engine")

    log_in(page, live_server, user)

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
