"""Writes for accounts, profiles and author claims."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.papers.models import Authorship
from apps.users.models import AuthorClaim, User
from apps.users.roles import user_can_post, user_is_moderator
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


def _slot_for_update(authorship: Authorship) -> Authorship:
    # Serialises concurrent claims and decisions on one author slot.
    return Authorship.objects.select_for_update().get(pk=authorship.pk)


@transaction.atomic
def author_claim_create(*, user: User, authorship: Authorship) -> AuthorClaim:
    """File a pending claim; refused when the slot or the paper is already claimed."""
    if not user_can_post(user):
        raise PermissionDenied("Log in with an account in good standing to claim authorship.")
    authorship = _slot_for_update(authorship)
    claims = AuthorClaim.objects.filter(
        authorship__paper_id=authorship.paper_id, status__in=["pending", "approved"]
    )
    if AuthorClaim.objects.filter(user=user, authorship=authorship).exists():
        raise ValidationError("You have already claimed this author.", code="duplicate")
    if claims.filter(authorship=authorship, status=AuthorClaim.Status.APPROVED).exists():
        raise ValidationError("Someone else is already this author.", code="taken")
    if claims.filter(user=user).exists():
        raise ValidationError(
            "You already have a claim on another author of this paper.", code="other_slot"
        )
    try:
        with transaction.atomic():
            return AuthorClaim.objects.create(user=user, authorship=authorship)
    except IntegrityError as exc:
        raise ValidationError("You have already claimed this author.", code="duplicate") from exc


def _require_moderator(user: User) -> None:
    if not user_is_moderator(user):
        raise PermissionDenied("Only moderators decide author claims.")


def _decide(*, claim: AuthorClaim, moderator: User, status: str) -> AuthorClaim:
    _slot_for_update(claim.authorship)
    claim = AuthorClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != AuthorClaim.Status.PENDING:
        raise ValidationError(f"This claim was already {claim.status}.", code="decided")
    now = timezone.now()
    claim.status, claim.decided_by, claim.decided_at = status, moderator, now
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    return claim


@transaction.atomic
def author_claim_approve(*, claim: AuthorClaim, moderator: User) -> AuthorClaim:
    """Approve; other pending claims on the same slot are rejected, as only one can be true."""
    _require_moderator(moderator)
    _slot_for_update(claim.authorship)
    if AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.APPROVED
    ).exists():
        raise ValidationError("Another claim on this author is already approved.", code="taken")
    claim = _decide(claim=claim, moderator=moderator, status=AuthorClaim.Status.APPROVED)
    AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.PENDING
    ).update(status=AuthorClaim.Status.REJECTED, decided_by=moderator, decided_at=claim.decided_at)
    return claim


@transaction.atomic
def author_claim_reject(*, claim: AuthorClaim, moderator: User) -> AuthorClaim:
    _require_moderator(moderator)
    return _decide(claim=claim, moderator=moderator, status=AuthorClaim.Status.REJECTED)
