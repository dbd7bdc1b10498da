"""Demo users can log in on a development site, and only there."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.demo.seeding import DEMO_MODERATOR, DEMO_PASSWORD, seed_demo
from apps.digests.models import Subscription
from apps.moderation.permissions import Power, moderator_can
from apps.users.models import User
from apps.users.roles import user_is_moderator, user_is_new
from tests.moderation.conftest import moderators_group

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
    # Verified (they post the demo threads), but nobody can log in as them or get digests.
    assert EmailAddress.objects.filter(verified=True).count() == User.objects.count()
    assert not Subscription.objects.exists()


def test_two_demo_users_get_digests_when_debug_is_on(settings):
    settings.DEBUG = True
    seed_demo()
    seed_demo()
    subscriptions = Subscription.objects.select_related("user").order_by("user__username")
    assert [(s.user.username, s.email, s.frequency, s.status) for s in subscriptions] == [
        ("ada", "ada@example.org", "daily", "active"),
        ("emmy", "emmy@example.org", "weekly", "active"),
    ]


def test_the_demo_has_one_moderator_and_established_members(settings):
    settings.DEBUG = True
    moderators_group()  # as migrated: transactional tests elsewhere flush it
    seed_demo()
    grace = User.objects.get(username=DEMO_MODERATOR)
    assert moderator_can(grace, Power.HIDE_COMMENTS)
    assert [user for user in User.objects.all() if user_is_moderator(user)] == [grace]
    assert not any(user_is_new(user) for user in User.objects.all())
