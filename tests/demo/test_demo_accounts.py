"""Demo users can log in on a development site, and only there."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.demo.seeding import DEMO_PASSWORD, seed_demo
from apps.users.models import User

pytestmark = pytest.mark.django_db


def test_demo_users_can_log_in_when_debug_is_on(client, settings):
    settings.DEBUG = True
    seed_demo()
    seed_demo()
    assert EmailAddress.objects.filter(verified=True).count() == User.objects.count() == 6
    response = client.post(
        reverse("account_login"), {"login": "ada@example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="ada").pk)


def test_demo_users_have_no_password_without_debug(settings):
    settings.DEBUG = False
    seed_demo()
    assert not any(user.has_usable_password() for user in User.objects.all())
    assert not EmailAddress.objects.exists()
