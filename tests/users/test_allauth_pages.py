"""Every allauth page a person can reach renders inside the site's layout."""

import pytest
from django.urls import reverse

from tests.users.conftest import reauthenticate

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
LOGGED_IN_PAGES = [
    "account_email",
    "account_change_password",
    "account_logout",
    "socialaccount_connections",
    "users:settings",
    "users:delete",
    "account_reauthenticate",
]


def assert_site_page(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in html
    assert 'class="site-footer"' in html
    assert "· Paperboard</title>" in html


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_account_pages_use_the_site_layout(client, name):
    assert_site_page(client.get(reverse(name)))


@pytest.mark.parametrize("name", LOGGED_IN_PAGES)
def test_account_settings_pages_use_the_site_layout_and_settings_menu(client, verified_user, name):
    client.force_login(verified_user)
    reauthenticate(client)  # users:delete asks for it first
    response = client.get(reverse(name))
    assert_site_page(response)
    if name not in {"account_logout", "account_reauthenticate"}:
        assert 'class="settings-nav"' in response.content.decode()


def test_bad_reset_key_page_is_styled(client):
    response = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "bad-key"})
    )
    assert_site_page(response)
    assert "invalid" in response.content.decode().lower()


def test_bad_confirmation_key_page_is_styled(client):
    response = client.get(reverse("account_confirm_email", args=["not-a-key"]))
    assert_site_page(response)
    assert "expired or is invalid" in response.content.decode()


def test_form_errors_are_shown_next_to_fields(client):
    response = client.post(
        reverse("account_signup"), {"email": "not-an-email", "username": "ok-name"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="field field-invalid"' in html
    assert 'class="field-error"' in html


def test_account_forms_answer_bad_input_with_400_and_never_500(client):
    nul = "a\x00b@example.org"
    posts = [
        ("account_login", {"login": nul, "password": "x"}),
        ("account_signup", {"email": nul, "username": "a\x00b", "password1": "x"}),
        ("account_reset_password", {"email": nul}),
        ("account_signup", {}),
    ]
    for name, data in posts:
        assert client.post(reverse(name), data).status_code == 400, name
    assert client.get(reverse("account_login")).status_code == 200


def test_odd_profile_addresses_are_404_not_500(client):
    for url in ["/users/a%00b", "/users/ada/a%00b", "/users/" + "x" * 500, "/users/a b"]:
        assert client.get(url).status_code == 404, url
