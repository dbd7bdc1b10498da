"""Settings come from the environment, with safe production defaults."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "debug": settings.DEBUG,
    "db_host": db.get("HOST"), "db_name": db.get("NAME"), "db_port": str(db.get("PORT")),
    "redis": settings.CELERY_BROKER_URL, "cache": settings.CACHES["default"]["LOCATION"],
    "allowed_hosts": settings.ALLOWED_HOSTS, "site_url": settings.SITE_URL,
    "mailer": settings.MAILERS["default"]["BACKEND"],
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "secure_cookies": getattr(settings, "SESSION_COOKIE_SECURE", False),
}))
"""


def run_settings(env: dict[str, str], code: str = PRINT_SETTINGS) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter (no pytest, so TESTING is off)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SITE_URL"}}
    clean.pop("PAPERBOARD_TESTING", None)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_are_read_from_environment():
    result = run_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "SITE_URL": "https://papers.example.org",
            "ALLOWED_HOSTS": "papers.example.org,www.papers.example.org",
            "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587?tls=1",
        }
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["allowed_hosts"] == ["papers.example.org", "www.papers.example.org"]
    assert values["site_url"] == "https://papers.example.org"
    assert values["mailer"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["ssl_redirect"] is True
    assert values["secure_cookies"] is True


def test_debug_mode_has_development_defaults():
    result = run_settings({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert "127.0.0.1" in values["allowed_hosts"]
    assert values["mailer"] == "django.core.mail.backends.console.EmailBackend"
    assert values["ssl_redirect"] is False


def test_deploy_check_is_clean_with_production_settings():
    code = (
        "import sys, django; from django.core.management import call_command; django.setup();"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = run_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": "https://papers.example.org",
        },
        code,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("console://", "console.EmailBackend", {}),
        ("memory://", "locmem.EmailBackend", {}),
        ("file:///var/mail/out", "filebased.EmailBackend", {"file_path": "/var/mail/out"}),
        (
            "smtp://me%40x.org:p%40ss@mail.x.org:587?tls=1",
            "smtp.EmailBackend",
            {"host": "mail.x.org", "port": 587, "username": "me@x.org", "password": "p@ss"},
        ),
        ("smtps://mail.x.org", "smtp.EmailBackend", {"port": 465, "use_ssl": True}),
    ],
)
def test_email_url_is_turned_into_a_mailer(url, backend, options):
    mailer = mailer_from_url(url)
    assert mailer["BACKEND"] == f"django.core.mail.backends.{backend}"
    for key, value in options.items():
        assert mailer["OPTIONS"][key] == value


def test_unknown_email_url_scheme_is_a_clear_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme"):
        mailer_from_url("pigeon://coop")
