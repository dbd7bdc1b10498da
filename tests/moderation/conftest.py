"""People of the moderation tests: moderators, staff, members who may flag, newcomers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from apps.moderation.permissions import Power
from apps.users.roles import MODERATORS_GROUP
from tests.factories import make_user, verify_for_log_in


def moderators_group() -> Group:
    """The group as migration 0002 leaves it; made here again because transactional tests
    elsewhere flush the rows data migrations wrote."""
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="moderation", codename__in=list(Power))
    )
    return group


def make_moderator(username: str | None = None, **fields):
    user = verify_for_log_in(make_user(username, **fields))
    user.groups.add(moderators_group())
    return user


def make_member(username: str | None = None, **fields):
    """A verified account old enough to flag."""
    return verify_for_log_in(make_user(username, **fields))


def make_newcomer(username: str | None = None, **fields):
    """A verified account that joined an hour ago: new-account limits apply."""
    fields.setdefault("date_joined", timezone.now() - dt.timedelta(hours=1))
    return verify_for_log_in(make_user(username, **fields))


@pytest.fixture
def moderator(db):
    return make_moderator("mod")


@pytest.fixture
def staff(db):
    return verify_for_log_in(make_user("staffer", is_staff=True))


@pytest.fixture
def member(db):
    return make_member("member")
