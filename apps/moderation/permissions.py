"""What each moderator may do: the permissions the services check, one per kind of action.

Staff and superusers may do everything; members of the ``moderators`` group have exactly these
permissions (migration 0002). Nobody moderates their own content, and only staff act on
another moderator's or a staff account.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.users.models import User
from apps.users.roles import MODERATORS_GROUP, user_in_good_standing


class Power(StrEnum):
    REVIEW_SUBMISSIONS = "review_submissions"
    REVIEW_CLAIMS = "review_claims"
    HANDLE_FLAGS = "handle_flags"
    HIDE_COMMENTS = "hide_comments"
    LOCK_DISCUSSIONS = "lock_discussions"
    EDIT_PAPERS = "edit_papers"
    SANCTION_USERS = "sanction_users"


def moderator_can(user: User | AnonymousUser | None, power: Power) -> bool:
    """In good standing (not banned or suspended) and staff or granted ``power``."""
    if not user_in_good_standing(user):
        return False
    return user.is_staff or user.is_superuser or user.has_perm(f"moderation.{power}")


def moderator_powers(user: User | AnonymousUser | None) -> set[Power]:
    return {power for power in Power if moderator_can(user, power)}


def require_power(user: User, power: Power) -> None:
    if not moderator_can(user, power):
        raise PermissionDenied("You are not allowed to do this as a moderator.")


def refuse_own(moderator: User, owner_id: int | None, what: str) -> None:
    """A moderator never decides about their own ``what`` (comment, submission, claim...)."""
    if owner_id is not None and owner_id == moderator.pk:
        raise PermissionDenied(f"You cannot moderate your own {what}; another moderator will.")


def refuse_protected(moderator: User, target: User | None) -> None:
    """Moderators' and staff accounts are warned, suspended, banned and unbanned by staff."""
    if target is None or moderator.is_staff or moderator.is_superuser:
        return
    # Group membership, not user_is_moderator: a suspended or banned moderator is out of good
    # standing but still a moderator, so another moderator must not lift or change that.
    if (
        target.is_staff
        or target.is_superuser
        or target.groups.filter(name=MODERATORS_GROUP).exists()
    ):
        raise PermissionDenied("Only staff can act on a moderator's or a staff account.")


def refuse_own_paper(moderator: User, *papers: Paper) -> None:
    """Nobody moderates a paper they submitted (its daily entry) or wrote (an approved claim)."""
    ids = [paper.pk for paper in papers]
    submitted = DailyEntry.objects.filter(paper_id__in=ids, submitted_by=moderator)
    authored = AuthorClaim.objects.filter(
        user=moderator, authorship__paper_id__in=ids, status=AuthorClaim.Status.APPROVED
    )
    if submitted.exists() or authored.exists():
        raise PermissionDenied(
            "You submitted or wrote this paper, so another moderator has to act on it."
        )
