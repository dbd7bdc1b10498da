"""Every moderation action, each in one transaction: check the permission, act, write the log
entry, tell the affected user.

The apps below keep their own rules (a submission must be pending, a claim's slot may be
taken); these services add who may act (``permissions``), the public log and the notices.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_lock, comment_visibility_set
from apps.core.ratelimit import Rate, RateLimitExceeded
from apps.moderation.log import (
    item_target,
    log_action,
    notify,
    paper_label,
    reason_clean,
    with_reason,
)
from apps.moderation.models import Flag, ModerationAction
from apps.moderation.permissions import (
    Power,
    refuse_own,
    refuse_own_paper,
    refuse_protected,
    require_power,
)
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.services import (
    author_claim_approve,
    author_claim_reject,
    daily_entry_remove,
    paper_metadata_update,
)
from apps.submissions import services as submissions
from apps.submissions.models import Submission
from apps.users.models import User
from apps.users.roles import user_in_good_standing

Action = ModerationAction.Action
Target = ModerationAction.TargetType
MAX_SUSPENSION_DAYS = 365

Flaggable = Paper | Comment


# --- Helpers ------------------------------------------------------------------------------


def _paper_submitter(paper: Paper) -> User | None:
    entry = DailyEntry.objects.select_related("submitted_by").filter(paper=paper).first()
    return entry.submitted_by if entry else None


def _open_flags(item: Flaggable):
    field = "comment" if isinstance(item, Comment) else "paper"
    return Flag.objects.filter(**{field: item}, resolution=Flag.Resolution.OPEN)


def _resolve_flags(item: Flaggable, moderator: User, resolution: str) -> int:
    return _open_flags(item).update(
        resolution=resolution, resolved_at=timezone.now(), resolved_by=moderator
    )


# --- Submissions --------------------------------------------------------------------------


@transaction.atomic
def submission_approve(
    *, moderator: User, submission: Submission, day: dt.date | None = None, note: str = ""
) -> Submission:
    """Publish a pending submission on ``day`` (today by default; never a future day)."""
    require_power(moderator, Power.REVIEW_SUBMISSIONS)
    refuse_own(moderator, submission.submitted_by_id, "submission")
    if submission.paper is not None:
        refuse_own_paper(moderator, submission.paper)
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationError("Choose today or an earlier day.", code="future_day")
    submission = submissions.submission_approve(moderator=moderator, submission=submission, day=day)
    paper = submission.paper
    log_action(
        moderator=moderator,
        action=Action.SUBMISSION_APPROVE,
        target_type=Target.SUBMISSION,
        target_id=submission.pk,
        label=paper_label(paper),
        url=paper.get_absolute_url(),
        subject_user=submission.submitted_by,
        reason=f"Listed on {submissions.long_date(day)}.",
        note=note,
    )
    notify(
        submission.submitted_by,
        subject=f"Your submission {paper.arxiv_id} is on the list of {submissions.long_date(day)}",
        message=f"A moderator approved your submission of “{paper.title}”.",
        url=paper.get_absolute_url(),
    )
    return submission


@transaction.atomic
def submission_reject(
    *, moderator: User, submission: Submission, reason: str, note: str = ""
) -> Submission:
    """Reject a pending submission; the submitter sees the reason."""
    require_power(moderator, Power.REVIEW_SUBMISSIONS)
    refuse_own(moderator, submission.submitted_by_id, "submission")
    reason = reason_clean(reason, required=True, who="the submitter")
    submission = submissions.submission_reject(
        moderator=moderator, submission=submission, reason=reason
    )
    paper = submission.paper
    log_action(
        moderator=moderator,
        action=Action.SUBMISSION_REJECT,
        target_type=Target.SUBMISSION,
        target_id=submission.pk,
        label=paper_label(paper) if paper else submission.arxiv_id,
        url=paper.get_absolute_url() if paper else "",
        subject_user=submission.submitted_by,
        reason=reason,
        note=note,
    )
    notify(
        submission.submitted_by,
        subject=f"Your submission {submission.arxiv_id} was not accepted",
        message=with_reason(
            f"A moderator rejected your submission of {submission.arxiv_id}.", reason
        ),
        url=reverse("submissions:status", args=[submission.pk]),
    )
    return submission


# --- Author claims ------------------------------------------------------------------------


def _claim_label(claim: AuthorClaim) -> str:
    return f"{claim.authorship.author.name} on {paper_label(claim.authorship.paper)}"


@transaction.atomic
def claim_approve(*, moderator: User, claim: AuthorClaim, note: str = "") -> AuthorClaim:
    require_power(moderator, Power.REVIEW_CLAIMS)
    refuse_own(moderator, claim.user_id, "author claim")
    claim = author_claim_approve(claim=claim, moderator=moderator)
    paper = claim.authorship.paper
    log_action(
        moderator=moderator,
        action=Action.CLAIM_APPROVE,
        target_type=Target.CLAIM,
        target_id=claim.pk,
        label=_claim_label(claim),
        url=paper.get_absolute_url(),
        subject_user=claim.user,
        note=note,
    )
    notify(
        claim.user,
        subject=f"You are listed as {claim.authorship.author.name} on {paper.arxiv_id}",
        message=f"A moderator approved your claim to be an author of “{paper.title}”.",
        url=paper.get_absolute_url(),
    )
    for other in claim.others_rejected:
        notify(
            other.user,
            subject=f"Your author claim on {paper.arxiv_id} was not accepted",
            message=with_reason(
                f"Your claim to be {claim.authorship.author.name} on “{paper.title}” was rejected.",
                "Another claim on this author was approved.",
            ),
            url=paper.get_absolute_url(),
        )
    return claim


@transaction.atomic
def claim_reject(
    *, moderator: User, claim: AuthorClaim, reason: str, note: str = ""
) -> AuthorClaim:
    """Reject with a reason; the claimant may ask again once, with new evidence."""
    require_power(moderator, Power.REVIEW_CLAIMS)
    refuse_own(moderator, claim.user_id, "author claim")
    reason = reason_clean(reason, required=True, who="the claimant")
    claim = author_claim_reject(claim=claim, moderator=moderator, reason=reason)
    paper = claim.authorship.paper
    log_action(
        moderator=moderator,
        action=Action.CLAIM_REJECT,
        target_type=Target.CLAIM,
        target_id=claim.pk,
        label=_claim_label(claim),
        url=paper.get_absolute_url(),
        subject_user=claim.user,
        reason=reason,
        note=note,
    )
    again = (
        ""
        if claim.asked_again
        else "\n\nYou can ask again once, with new evidence, on the paper's page."
    )
    notify(
        claim.user,
        subject=f"Your author claim on {paper.arxiv_id} was not accepted",
        message=with_reason(
            f"A moderator rejected your claim to be {claim.authorship.author.name} on "
            f"“{paper.title}”.",
            reason,
        )
        + again,
        url=paper.get_absolute_url(),
    )
    return claim


# --- Flags --------------------------------------------------------------------------------


def flagger_check(user: User) -> None:
    """Raise PermissionDenied unless ``user`` may flag: in good standing, verified, not new."""
    if not user_in_good_standing(user):
        raise PermissionDenied("Log in with an account in good standing to flag.")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise PermissionDenied("Verify your email address before flagging.")
    min_age = dt.timedelta(days=settings.FLAG_MIN_ACCOUNT_AGE_DAYS)
    if timezone.now() - user.date_joined < min_age:
        raise PermissionDenied(
            f"Accounts can flag once they are {settings.FLAG_MIN_ACCOUNT_AGE_DAYS} days old."
        )


def flag_reasons(item: Flaggable) -> tuple[str, ...]:
    return Flag.COMMENT_REASONS if isinstance(item, Comment) else Flag.PAPER_REASONS


@transaction.atomic
def flag_create(*, user: User, item: Flaggable, reason: str, text: str = "") -> Flag:
    """Flag a paper or a comment. Enough open flags hide a comment until a moderator looks."""
    flagger_check(user)
    if isinstance(item, Comment):
        # Serialises flags on one comment, so the threshold is crossed exactly once.
        item = comment_lock(comment=item)
        if item.author_id == user.pk:
            raise PermissionDenied("You cannot flag your own comment; delete it instead.")
        if item.is_deleted:
            raise ValidationError("This comment was deleted.", code="deleted")
    if reason not in flag_reasons(item):
        raise ValidationError("Choose one of the listed reasons.", code="reason")
    text = (text or "").strip()
    if reason == Flag.Reason.OTHER and not text:
        raise ValidationError("Say what is wrong when you choose “other”.", code="no_text")
    max_text = Flag._meta.get_field("text").max_length
    if len(text) > max_text:
        raise ValidationError(f"Keep it under {max_text:,} characters.", code="too_long")
    since = timezone.now() - dt.timedelta(hours=24)
    if (
        Flag.objects.filter(flagged_by=user, created_at__gte=since).count()
        >= settings.FLAGS_PER_DAY
    ):
        daily = Rate(
            limit=settings.FLAGS_PER_DAY,
            window=86_400,
            message=f"You can flag {settings.FLAGS_PER_DAY} items a day; try again tomorrow.",
        )
        raise RateLimitExceeded(daily, retry_after=3_600)
    target = {"comment": item} if isinstance(item, Comment) else {"paper": item}
    try:
        with transaction.atomic():
            flag = Flag.objects.create(flagged_by=user, reason=reason, text=text, **target)
    except IntegrityError:
        raise ValidationError("You already flagged this.", code="duplicate") from None
    if isinstance(item, Comment) and item.visibility == Comment.Visibility.VISIBLE:
        count = _open_flags(item).count()
        if count >= settings.FLAG_HIDE_THRESHOLD:
            comment_visibility_set(comment=item, visibility=Comment.Visibility.FLAGGED)
            log_action(
                moderator=None,
                action=Action.COMMENT_HIDE_BY_FLAGS,
                **item_target(item),
                subject_user=item.author,
                reason=f"Hidden pending review after {count} flags.",
            )
    return flag


@transaction.atomic
def flag_withdraw(*, user: User, flag: Flag) -> None:
    """Take back one's own open flag (a comment it helped hide stays hidden until reviewed)."""
    deleted, _ = Flag.objects.filter(
        pk=flag.pk, flagged_by=user, resolution=Flag.Resolution.OPEN
    ).delete()
    if not deleted:
        raise ValidationError("This flag is not yours or was already reviewed.", code="gone")


@transaction.atomic
def flags_dismiss(*, moderator: User, item: Flaggable, note: str = "") -> int:
    """Close an item's open flags without acting; a comment they hid is shown again."""
    require_power(moderator, Power.HANDLE_FLAGS)
    if isinstance(item, Comment):
        # Read and lock it (as flag_create does): the caller's copy may predate the
        # flags that hid it, and a flag arriving now must not hide it after the dismissal.
        item = comment_lock(comment=item)
        refuse_own(moderator, item.author_id, "comment")
    else:
        refuse_own_paper(moderator, item)
    dismissed = _resolve_flags(item, moderator, Flag.Resolution.DISMISSED)
    if not dismissed:
        raise ValidationError("There are no open flags on this item.", code="no_flags")
    if isinstance(item, Comment) and item.visibility == Comment.Visibility.FLAGGED:
        comment_visibility_set(comment=item, visibility=Comment.Visibility.VISIBLE)
    log_action(
        moderator=moderator,
        action=Action.FLAGS_DISMISS,
        **item_target(item),
        reason=f"{dismissed} flag{'s' if dismissed != 1 else ''} dismissed.",
        note=note,
    )
    return dismissed


# --- Comments and discussions -------------------------------------------------------------


@transaction.atomic
def comment_hide(*, moderator: User, comment: Comment, reason: str, note: str = "") -> Comment:
    """Remove a comment's text for everyone; its place and its replies stay in the thread."""
    require_power(moderator, Power.HIDE_COMMENTS)
    refuse_own(moderator, comment.author_id, "comment")
    reason = reason_clean(reason, required=True, who="the author")
    comment = Comment.objects.select_related("paper", "author").get(pk=comment.pk)
    if comment.is_deleted:
        raise ValidationError("This comment was deleted by its author.", code="deleted")
    if comment.visibility == Comment.Visibility.REMOVED:
        raise ValidationError("This comment is already removed.", code="removed")
    comment_visibility_set(comment=comment, visibility=Comment.Visibility.REMOVED)
    _resolve_flags(comment, moderator, Flag.Resolution.UPHELD)
    log_action(
        moderator=moderator,
        action=Action.COMMENT_HIDE,
        **item_target(comment),
        subject_user=comment.author,
        reason=reason,
        note=note,
    )
    notify(
        comment.author,
        subject=f"Your comment on {comment.paper.arxiv_id} was removed",
        message=with_reason(
            f"A moderator removed your comment in the discussion of “{comment.paper.title}”.",
            reason,
        ),
        url=comment.get_absolute_url(),
    )
    return comment


@transaction.atomic
def comment_restore(
    *, moderator: User, comment: Comment, reason: str = "", note: str = ""
) -> Comment:
    """Show a hidden comment again (removed by a moderator or hidden by flags)."""
    require_power(moderator, Power.HIDE_COMMENTS)
    refuse_own(moderator, comment.author_id, "comment")
    reason = reason_clean(reason, required=False)
    comment = Comment.objects.select_related("paper", "author").get(pk=comment.pk)
    if not comment.is_hidden:
        raise ValidationError("This comment is not hidden.", code="visible")
    comment_visibility_set(comment=comment, visibility=Comment.Visibility.VISIBLE)
    _resolve_flags(comment, moderator, Flag.Resolution.DISMISSED)
    log_action(
        moderator=moderator,
        action=Action.COMMENT_RESTORE,
        **item_target(comment),
        subject_user=comment.author,
        reason=reason,
        note=note,
    )
    notify(
        comment.author,
        subject=f"Your comment on {comment.paper.arxiv_id} is visible again",
        message=with_reason(
            f"A moderator restored your comment in the discussion of “{comment.paper.title}”.",
            reason,
        ),
        url=comment.get_absolute_url(),
    )
    return comment


def _discussion_lock_set(
    moderator: User, paper: Paper, *, locked: bool, reason: str, note: str
) -> Paper:
    require_power(moderator, Power.LOCK_DISCUSSIONS)
    refuse_own_paper(moderator, paper)
    reason = reason_clean(reason, required=locked, who="the paper's submitter")
    paper = Paper.objects.select_for_update().get(pk=paper.pk)
    if paper.discussion_locked == locked:
        state = "locked" if locked else "open"
        raise ValidationError(f"This discussion is already {state}.", code="unchanged")
    paper.discussion_locked = locked
    paper.save(update_fields=["discussion_locked", "modified_at"])
    submitter = _paper_submitter(paper)
    log_action(
        moderator=moderator,
        action=Action.DISCUSSION_LOCK if locked else Action.DISCUSSION_UNLOCK,
        **item_target(paper),
        subject_user=submitter,
        reason=reason,
        note=note,
    )
    verb = "locked" if locked else "reopened"
    notify(
        submitter,
        subject=f"The discussion of {paper.arxiv_id} was {verb}",
        message=with_reason(
            f"A moderator {verb} the discussion of “{paper.title}”, which you submitted.", reason
        ),
        url=paper.get_absolute_url(),
    )
    return paper


@transaction.atomic
def discussion_lock(*, moderator: User, paper: Paper, reason: str, note: str = "") -> Paper:
    """No new comments or replies until unlocked; what is there stays."""
    return _discussion_lock_set(moderator, paper, locked=True, reason=reason, note=note)


@transaction.atomic
def discussion_unlock(*, moderator: User, paper: Paper, reason: str = "", note: str = "") -> Paper:
    return _discussion_lock_set(moderator, paper, locked=False, reason=reason, note=note)


# --- Papers -------------------------------------------------------------------------------


@transaction.atomic
def paper_edit(
    *, moderator: User, paper: Paper, fields: dict[str, str], reason: str, note: str = ""
) -> list[str]:
    """Correct a paper's metadata; returns the fields that changed (refused if none did)."""
    require_power(moderator, Power.EDIT_PAPERS)
    refuse_own_paper(moderator, paper)
    reason = reason_clean(reason, required=True, who="everyone")
    paper = Paper.objects.select_for_update().get(pk=paper.pk)
    changed = paper_metadata_update(paper=paper, **fields)
    if not changed:
        raise ValidationError("Nothing was changed.", code="unchanged")
    _resolve_flags(paper, moderator, Flag.Resolution.UPHELD)
    names = ", ".join(Paper._meta.get_field(name).verbose_name for name in changed)
    log_action(
        moderator=moderator,
        action=Action.PAPER_EDIT,
        **item_target(paper),
        reason=f"Changed {names}. {reason}",
        note=note,
    )
    return changed


@transaction.atomic
def paper_remove_from_day(
    *, moderator: User, paper: Paper, reason: str, note: str = ""
) -> DailyEntry:
    """Take a paper off its day's list; the paper and its discussion stay."""
    require_power(moderator, Power.EDIT_PAPERS)
    refuse_own_paper(moderator, paper)
    reason = reason_clean(reason, required=True, who="the submitter")
    entry = daily_entry_remove(paper=paper)
    if entry is None:
        raise ValidationError("This paper is not on any day's list.", code="not_listed")
    _resolve_flags(paper, moderator, Flag.Resolution.UPHELD)
    day = submissions.long_date(entry.day)
    log_action(
        moderator=moderator,
        action=Action.PAPER_REMOVE_FROM_DAY,
        **item_target(paper),
        subject_user=entry.submitted_by,
        reason=f"Removed from {day}. {reason}",
        note=note,
    )
    notify(
        entry.submitted_by,
        subject=f"{paper.arxiv_id} was removed from the list of {day}",
        message=with_reason(
            f"A moderator removed “{paper.title}”, which you submitted, from the list of {day}.",
            reason,
        ),
        url=paper.get_absolute_url(),
    )
    return entry


# --- Users --------------------------------------------------------------------------------


def _sanction_check(moderator: User, user: User, reason: str) -> str:
    require_power(moderator, Power.SANCTION_USERS)
    refuse_own(moderator, user.pk, "account")
    refuse_protected(moderator, user)
    return reason_clean(reason, required=True, who="the user")


def _log_sanction(moderator: User, user: User, action: str, reason: str, note: str) -> None:
    log_action(
        moderator=moderator,
        action=action,
        target_type=Target.USER,
        target_id=user.pk,
        label=f"@{user.username}",
        url=user.get_absolute_url(),
        subject_user=user,
        reason=reason,
        note=note,
    )


@transaction.atomic
def user_warn(*, moderator: User, user: User, reason: str, note: str = "") -> User:
    reason = _sanction_check(moderator, user, reason)
    _log_sanction(moderator, user, Action.USER_WARN, reason, note)
    notify(
        user,
        subject="A warning from the moderators",
        message=with_reason("A moderator sent you a warning about your activity.", reason),
    )
    return user


@transaction.atomic
def user_suspend(*, moderator: User, user: User, days: int, reason: str, note: str = "") -> User:
    """For ``days`` the user can read and log in, but not post, vote, flag or submit."""
    reason = _sanction_check(moderator, user, reason)
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ValidationError(
            f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days; a ban is for longer.", code="days"
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_banned:
        raise ValidationError("This account is banned; lift the ban first.", code="banned")
    user.suspended_until = timezone.now() + dt.timedelta(days=days)
    user.save(update_fields=["suspended_until"])
    until = user.suspended_until.strftime("%-d %B %Y, %H:%M UTC")
    _log_sanction(moderator, user, Action.USER_SUSPEND, f"For {days} days. {reason}", note)
    notify(
        user,
        subject=f"Your account is suspended until {until}",
        message=with_reason(
            f"A moderator suspended your account for {days} day{'s' if days != 1 else ''}: until "
            f"{until} you can read and log in, but not comment, vote, flag or submit.",
            reason,
        ),
    )
    return user


@transaction.atomic
def user_ban(*, moderator: User, user: User, reason: str, note: str = "") -> User:
    """The account can no longer log in; its sessions end at their next request."""
    reason = _sanction_check(moderator, user, reason)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_banned:
        raise ValidationError("This account is already banned.", code="banned")
    user.is_banned = True
    user.save(update_fields=["is_banned"])
    _log_sanction(moderator, user, Action.USER_BAN, reason, note)
    notify(
        user,
        subject="Your account is banned",
        message=with_reason("A moderator banned your account: you can no longer log in.", reason),
    )
    return user


@transaction.atomic
def user_unban(*, moderator: User, user: User, reason: str, note: str = "") -> User:
    """Lift a ban or a suspension."""
    reason = _sanction_check(moderator, user, reason)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_banned and not user.is_suspended:
        raise ValidationError("This account is neither banned nor suspended.", code="unchanged")
    user.is_banned, user.suspended_until = False, None
    user.save(update_fields=["is_banned", "suspended_until"])
    _log_sanction(moderator, user, Action.USER_UNBAN, reason, note)
    notify(
        user,
        subject="Your account is in good standing again",
        message=with_reason("A moderator lifted the restriction on your account.", reason),
    )
    return user
