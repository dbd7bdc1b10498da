"""Rules for public usernames (handles): they appear in URLs, so they are short and plain."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator

# Any handle an account can have in a URL (Django's own rule included, for accounts made in the
# admin); anything else is a 404 before it reaches the database.
HANDLE_URL_PATTERN = r"[\w.@+-]{1,150}"

HANDLE_MIN_LENGTH = 3
HANDLE_MAX_LENGTH = 30

# Words that name site sections or roles; a handle equal to one of them would be misleading
# or would shadow a URL. Compared case-insensitively.
RESERVED_HANDLES = frozenset(
    {
        "about",
        "accounts",
        "admin",
        "administrator",
        "anonymous",
        "api",
        "arxiv",
        "deleted",
        "digest",
        "digests",
        "feeds",
        "healthz",
        "help",
        "login",
        "logout",
        "me",
        "media",
        "mod",
        "moderation",
        "moderator",
        "moderators",
        "null",
        "paperboard",
        "papers",
        "root",
        "search",
        "settings",
        "signup",
        "staff",
        "static",
        "submit",
        "support",
        "system",
        "trending",
        "user",
        "users",
        "www",
    }
)

handle_characters = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?\Z",
    "Use letters, digits, hyphens and underscores only; start and end with a letter or digit.",
    code="invalid_handle",
)


def validate_handle_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_HANDLES:
        raise ValidationError("This username is reserved.", code="reserved_handle")


# allauth validates sign-up usernames with these (ACCOUNT_USERNAME_VALIDATORS); allauth
# itself adds the case-insensitive "already taken" check.
HANDLE_VALIDATORS = [
    MinLengthValidator(HANDLE_MIN_LENGTH),
    MaxLengthValidator(HANDLE_MAX_LENGTH),
    handle_characters,
    validate_handle_not_reserved,
]
