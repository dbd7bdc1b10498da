"""Role helpers used by later features: who moderates, who may post."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import AnonymousUser, Group

from apps.users.links import normalise_orcid, orcid_checksum_ok
from apps.users.roles import MODERATORS_GROUP, user_can_post, user_is_moderator
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_data_migration_creates_the_moderators_group_once():
    # Called directly: transactional tests elsewhere flush the rows migrations created.
    migration = importlib.import_module("apps.users.migrations.0003_moderators_group")
    Group.objects.filter(name=MODERATORS_GROUP).delete()
    migration.create_group(django_apps, None)
    migration.create_group(django_apps, None)
    assert Group.objects.filter(name=MODERATORS_GROUP).count() == 1


def test_user_is_moderator():
    member = make_user("member")
    member.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    assert user_is_moderator(member)
    assert user_is_moderator(make_user("staffer", is_staff=True))
    assert user_is_moderator(make_user("root", is_superuser=True))
    assert not user_is_moderator(make_user("plain"))
    assert not user_is_moderator(AnonymousUser())
    assert not user_is_moderator(None)
    assert not user_is_moderator(make_user("bannedstaff", is_staff=True, is_banned=True))
    assert not user_is_moderator(make_user("gone", is_staff=True, is_active=False))


def test_user_is_moderator_costs_one_query_per_user(django_assert_num_queries):
    member = make_user("member")
    with django_assert_num_queries(1):
        assert not user_is_moderator(member)
        assert not user_is_moderator(member)


def test_user_can_post():
    assert user_can_post(make_user("plain"))
    assert not user_can_post(make_user("banned", is_banned=True))
    assert not user_can_post(make_user("gone", is_active=False))
    assert not user_can_post(AnonymousUser())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097"),
        ("orcid.org/0000-0001-5109-3700", "https://orcid.org/0000-0001-5109-3700"),
        ("0000-0002-1694-233x", "https://orcid.org/0000-0002-1694-233X"),
        ("", ""),
    ],
)
def test_orcid_is_normalised_to_its_canonical_address(raw, expected):
    assert normalise_orcid(raw) == expected


def test_orcid_checksum():
    assert orcid_checksum_ok("0000-0002-1825-0097")
    assert orcid_checksum_ok("0000-0002-1694-233X")
    assert not orcid_checksum_ok("0000-0002-1825-0098")
