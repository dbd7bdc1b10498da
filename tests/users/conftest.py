import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_user, verify_for_log_in


@pytest.fixture(autouse=True)
def _celery_eager(celery_eager):
    """Account mail is queued on commit to Celery: here it runs in-process."""


@pytest.fixture(autouse=True)
def _fast_password_hasher(fast_password_hasher):
    """Every test here is about an account flow."""


@pytest.fixture
def verified_user(db):
    """A user who signed up and verified their email: they can log in with PASSWORD."""
    return verify_for_log_in(make_user("ada", display_name="Ada Lovelace"))


def links_in(message) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", message.body)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def reauthenticate(client, password: str = PASSWORD):
    """Confirm the password, as allauth asks before sensitive account changes."""
    return client.post(reverse("account_reauthenticate"), {"password": password})
