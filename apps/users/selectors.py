"""Reads for accounts."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db.models.functions import Lower

from apps.users.models import User


def profile_user(*, username: str) -> User | None:
    """The active account with this handle, in any letter case."""
    # lower() = lower(), not iexact's UPPER(), so that the case-insensitive unique index serves it.
    return (
        User.objects.alias(handle=Lower("username"))
        .filter(handle=username.lower(), is_active=True)
        .first()
    )


def verified_primary_email(*, user: User) -> str | None:
    """The account's primary address if it is verified (it is known to reach the account's
    owner: submitting and one-click digest subscriptions need one), else None."""
    return (
        EmailAddress.objects.filter(user=user, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )


def users_with_verified_email(*, user_ids: Iterable[int]) -> set[int]:
    """Which of these accounts have a verified primary address (the only kind mailed)."""
    return set(
        EmailAddress.objects.filter(
            user_id__in=list(user_ids), primary=True, verified=True
        ).values_list("user_id", flat=True)
    )


def has_github_account(user: User) -> bool:
    """Whether ``user`` can log in with GitHub (and so re-authenticate that way)."""
    return SocialAccount.objects.filter(user_id=user.pk, provider="github").exists()
