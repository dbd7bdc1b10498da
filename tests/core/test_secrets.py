"""Passwords inside URL settings stay hidden with DEBUG on: the error page and diffsettings."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from apps.core.secrets import MASK, mask_url_secrets
from apps.papers import selectors
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

SECRETS = {
    "EMAIL_URL": "smtp://mailer:smtp-pass-1@mail.example:587?tls=1",
    "DIGEST_EMAIL_URL": "smtps://digest:smtp-pass-2@mail.example:465",
    "REDIS_URL": "redis://:redis-pass-3@cache.example:6379/0",
    "CELERY_BROKER_URL": "redis://default:redis-pass-4@cache.example:6379/0",
    "CELERY_RESULT_BACKEND": "rediss://:redis-pass-5@cache.example:6380/2",
}
META_URL = "smtp://u:" + "meta-pass" + "@h"  # a header (runserver's META holds the environment)
PASSWORDS = [url.split(":")[2].split("@")[0] for url in SECRETS.values()]


@pytest.fixture
def secret_settings(settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.CACHES = {
        "default": {**settings.CACHES["default"]},
        "other": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:redis-pass-6@cache.example:6379/1",
        },
    }
    return settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp://u:p%40ss@host:25", f"smtp://u:{MASK}@host:25"),
        ("redis://:pw@host:6379/0", f"redis://:{MASK}@host:6379/0"),
        ("postgres://postgres@127.0.0.1:5432/db", "postgres://postgres@127.0.0.1:5432/db"),
        ("https://example.org/a:b@c", "https://example.org/a:b@c"),
        ("console://", "console://"),
        ("amqp://host/?password=pw&x=1", f"amqp://host/?password={MASK}&x=1"),
        ("a = redis://x:y@h, b = smtp://c:d@e", f"a = redis://x:{MASK}@h, b = smtp://c:{MASK}@e"),
    ],
)
def test_mask_url_secrets(text, expected):
    assert mask_url_secrets(text) == expected


def test_debug_error_page_hides_passwords_in_urls(secret_settings, monkeypatch):
    secret_settings.DEBUG = True
    paper = make_paper()

    def broken(**kwargs):
        # A local variable the page lists (built so that the source line shown is no leak).
        database_url = "postgres://app:" + "-".join(["db", "pass", "7"]) + "@db.example/x"  # noqa: F841
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "paper_for_page", broken)
    client = Client(raise_request_exception=False)

    response = client.get(paper.get_absolute_url(), HTTP_X_PASSWORD_URL=META_URL)

    html = response.content.decode()
    assert response.status_code == 500
    assert "RuntimeError" in html
    assert "EMAIL_URL" in html
    for password in [*PASSWORDS, "redis-pass-6", "db-pass-7", "meta-pass"]:
        assert password not in html
    assert MASK in html


def test_error_report_hides_a_database_url_from_the_environment(secret_settings):
    request = RequestFactory().get("/", DATABASE_URL="postgres://app:env-pass@db/paperboard")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()

    assert "env-pass" not in text
    assert f"postgres://app:{MASK}@db/paperboard" in text


@pytest.mark.parametrize("output", ["hash", "unified"])
def test_diffsettings_hides_passwords_in_urls_and_secret_settings(secret_settings, output):
    secret_settings.SECRET_KEY = "a-secret-key-that-must-not-show"
    out = io.StringIO()

    call_command("diffsettings", output=output, stdout=out)

    text = out.getvalue()
    assert "EMAIL_URL" in text
    assert "REDIS_URL" in text
    for password in [*PASSWORDS, "redis-pass-6", "a-secret-key-that-must-not-show"]:
        assert password not in text
    assert f"smtp://mailer:{MASK}@mail.example:587?tls=1" in text
