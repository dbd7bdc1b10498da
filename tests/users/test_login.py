"""Log-in, log-out, session rotation, banned accounts, rate limits."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_rotates_the_session_key(client, verified_user):
    client.get(reverse("account_login"))
    client.session.save()
    anonymous_key = client.session.session_key
    response = login(client, verified_user.email)
    assert response.status_code == 302
    assert client.session.session_key != anonymous_key
    assert int(client.session["_auth_user_id"]) == verified_user.pk


def test_wrong_password_gives_a_clear_error_without_revealing_the_account(client, verified_user):
    wrong = login(client, verified_user.email, "not the password")
    unknown = login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "not correct" in wrong.content.decode()
    assert "not correct" in unknown.content.decode()


def test_header_shows_menu_when_logged_in_and_links_otherwise(client, verified_user):
    html = client.get("/").content.decode()
    assert reverse("account_login") in html
    assert reverse("account_signup") in html
    client.force_login(verified_user)
    html = client.get("/").content.decode()
    assert "Ada Lovelace" in html
    assert reverse("profiles:detail", args=["ada"]) in html
    assert reverse("users:settings") in html
    assert f'<form method="post" action="{reverse("account_logout")}">' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_logout_is_a_post(client, verified_user):
    client.force_login(verified_user)
    assert client.get(reverse("account_logout")).status_code == 200  # a confirmation page
    assert "_auth_user_id" in client.session
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_banned_user_cannot_log_in(client, verified_user):
    verified_user.is_banned = True
    verified_user.save()
    response = login(client, verified_user.email)
    assert response.status_code == 403
    assert "suspended" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_banning_ends_the_sessions_the_user_already_has(client, verified_user):
    client.force_login(verified_user)
    verified_user.is_banned = True
    verified_user.save()
    response = client.get("/")
    assert not response.wsgi_request.user.is_authenticated
    assert reverse("account_login") in response.content.decode()


def test_banned_user_cannot_log_in_to_the_admin(client, verified_user):
    verified_user.is_staff = True
    verified_user.is_banned = True
    verified_user.save()
    client.post(reverse("admin:login"), {"username": "ada", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_rate_limited_per_account(client, verified_user):
    for _ in range(5):
        assert login(client, verified_user.email, "wrong password").status_code == 400
    response = login(client, verified_user.email, PASSWORD)
    assert response.status_code == 400
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_is_rate_limited_per_ip(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        login(client, "someone@example.org", "whatever")
    response = login(client, "someone@example.org", "whatever")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_signup_is_rate_limited_per_ip(client):
    # The configured limit is 20 sign-ups per hour from one address.
    for number in range(20):
        client.post(
            reverse("account_signup"),
            {"email": f"bot{number}@example.org", "username": "admin", "password1": "x"},
        )
    response = client.post(
        reverse("account_signup"),
        {
            "email": "bot@example.org",
            "username": "bot",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's socket address
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    data = {"login": "someone@example.org", "password": "whatever"}
    url = reverse("account_login")
    for address in ["203.0.113.1", "203.0.113.2"]:
        for _ in range(2):
            assert client.post(url, data, headers={"X-Forwarded-For": address}).status_code == 400
    assert client.post(url, data, headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
