"""Who may do what: one place for the checks that views and services share."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.users.models import User

MODERATORS_GROUP = "moderators"


def user_is_moderator(user: User | AnonymousUser | None) -> bool:
    """Staff, superusers and members of the ``moderators`` group, in good standing.

    This says who is a moderator (whom only staff may sanction, who sees moderator tools);
    what a moderator may do is checked per action by ``apps.moderation.permissions``.
    """
    if not user_can_post(user):
        return False
    if user.is_staff or user.is_superuser:
        return True
    cached = getattr(user, "_is_moderator", None)
    if cached is None:
        cached = user.groups.filter(name=MODERATORS_GROUP).exists()
        user._is_moderator = cached
    return cached


def user_can_post(user: User | AnonymousUser | None) -> bool:
    """May submit, vote, comment, flag and claim: logged in, active, neither banned nor
    suspended."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and not user.is_banned
        and not user.is_suspended
    )


def user_is_new(user: User, *, now: dt.datetime | None = None) -> bool:
    """Younger than ``NEW_ACCOUNT_DAYS``: smaller daily limits for comments and submissions."""
    age = (now or timezone.now()) - user.date_joined
    return age < dt.timedelta(days=settings.NEW_ACCOUNT_DAYS)
