import re

import pytest

from config.celery import app as celery_app
from tests.factories import make_user, verify_for_log_in


@pytest.fixture(autouse=True)
def _celery_eager():
    """Mail is queued on commit to Celery; run those tasks in-process so they reach the outbox."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


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
