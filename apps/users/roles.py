"""Who may do what: one place for the checks that views and services share."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from apps.users.models import User

MODERATORS_GROUP = "moderators"


def user_is_moderator(user: User | AnonymousUser | None) -> bool:
    """Staff, superusers and members of the ``moderators`` group, unless banned or inactive."""
    if user is None or not user.is_authenticated or not user.is_active or user.is_banned:
        return False
    if user.is_staff or user.is_superuser:
        return True
    cached = getattr(user, "_is_moderator", None)
    if cached is None:
        cached = user.groups.filter(name=MODERATORS_GROUP).exists()
        user._is_moderator = cached
    return cached


def user_can_post(user: User | AnonymousUser | None) -> bool:
    """May submit, vote, comment and claim: a logged-in, active, unbanned account."""
    return bool(
        user is not None and user.is_authenticated and user.is_active and not user.is_banned
    )
