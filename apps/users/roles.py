"""Who may do what: one place for the checks that views and services share."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.users.models import User
from apps.users.selectors import verified_primary_email

MODERATORS_GROUP = "moderators"


def user_is_moderator(user: User | AnonymousUser | None) -> bool:
    """Staff, superusers and members of the ``moderators`` group, in good standing.

    This says who is a moderator (whom only staff may sanction, who sees moderator tools);
    what a moderator may do is checked per action by ``apps.moderation.permissions``.
    Staff chose them: a verified email is not asked for (``createsuperuser`` makes none).
    """
    if not user_in_good_standing(user):
        return False
    if user.is_staff or user.is_superuser:
        return True
    cached = getattr(user, "_is_moderator", None)
    if cached is None:
        cached = user.groups.filter(name=MODERATORS_GROUP).exists()
        user._is_moderator = cached
    return cached


def user_in_good_standing(user: User | AnonymousUser | None) -> bool:
    """Logged in, active, neither banned nor suspended."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and not user.is_banned
        and not user.is_suspended
    )


def user_has_verified_email(user: User) -> bool:
    """Whether the account's primary address is verified (asked once per user object)."""
    cached = getattr(user, "_has_verified_email", None)
    if cached is None:
        cached = verified_primary_email(user=user) is not None
        user._has_verified_email = cached
    return cached


def user_can_post(user: User | AnonymousUser | None) -> bool:
    """May submit, vote, comment, flag and claim: in good standing, with a verified primary
    email (an account made with someone else's address, or a throwaway one, may not)."""
    return user_in_good_standing(user) and user_has_verified_email(user)


def user_posting_refusal(user: User | AnonymousUser | None, action: str) -> str | None:
    """Why ``user`` may not ``action`` ("vote", "comment"), or None if they may."""
    if not user_in_good_standing(user):
        return f"Your account cannot {action}."
    if not user_has_verified_email(user):
        return f"Verify your email address before you {action}: follow the link we emailed you."
    return None


def user_is_new(user: User, *, now: dt.datetime | None = None) -> bool:
    """Younger than ``NEW_ACCOUNT_DAYS``: smaller daily limits for comments and submissions."""
    age = (now or timezone.now()) - user.date_joined
    return age < dt.timedelta(days=settings.NEW_ACCOUNT_DAYS)
