"""Reads for accounts."""

from __future__ import annotations

from apps.users.models import User


def profile_user(*, username: str) -> User | None:
    """The active account with this handle, in any letter case."""
    return User.objects.filter(username__iexact=username, is_active=True).first()
