"""Writes for accounts and profiles."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.users.models import User
from apps.users.names import normalise_display_name, validate_display_name
from apps.users.signals import user_deleting

PROFILE_FIELDS = ("display_name", "bio", "homepage_url", "github_url", "scholar_url", "orcid_url")


@transaction.atomic
def profile_update(*, user: User, **fields: str) -> User:
    """Change the public profile; the handle and email have their own flows."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value.strip())
    if "display_name" in fields:
        user.display_name = normalise_display_name(user.display_name)
        try:
            validate_display_name(user.display_name, user=user)
        except ValidationError as exc:
            raise ValidationError({"display_name": exc.messages}) from exc
    user.full_clean(exclude=["password", "username", "email"])
    user.save(update_fields=list(fields))
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and everything personal; what others rely on stays, anonymised.

    ``user_deleting`` receivers run first, in this transaction (votes removed, counts
    recomputed); then the row goes: email addresses, social logins and author claims cascade,
    submissions and comments keep their rows with the user set to NULL, and any other session
    of the user stops working because its user no longer exists.
    """
    user_deleting.send(sender=User, user=user)
    user.delete()
