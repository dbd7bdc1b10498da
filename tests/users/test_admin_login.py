"""Issue 13 item 5: /admin/login/ is under the site's log-in limits (allauth's)."""

import time

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(verified_user):
    verified_user.is_staff = True
    verified_user.save()
    return verified_user


def admin_login(client, password, username="ada"):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_the_right_password_logs_in(client, staff):
    response = admin_login(client, PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff.pk


def test_after_too_many_wrong_passwords_the_right_one_is_refused_too(client, staff):
    # ACCOUNT_RATE_LIMITS["login_failed"]: 5 failures per 5 minutes per account name.
    for _ in range(5):
        response = admin_login(client, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = admin_login(client, PASSWORD)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_refusal_ends_with_the_window(client, staff, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "2/1s/key"}
    admin_login(client, "wrong")
    admin_login(client, "wrong")
    assert "Too many failed" in admin_login(client, PASSWORD).content.decode()
    time.sleep(1.1)
    assert admin_login(client, PASSWORD).status_code == 302


def test_admin_login_posts_are_limited_per_address_with_a_429(client, staff, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    statuses = [admin_login(client, "wrong", username=f"u{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(reverse("admin:login")).status_code == 200  # the page itself still shows


def test_failures_across_account_names_are_limited_per_address(client, staff):
    # login_failed also counts 10 per minute per address, whatever the account name.
    for n in range(10):
        admin_login(client, "wrong", username=f"guess{n}")
    response = admin_login(client, PASSWORD)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
