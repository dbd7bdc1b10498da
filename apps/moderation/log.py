"""Writing the public log and telling the affected user: the two steps every moderation
action ends with, inside its transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.comments.models import Comment
from apps.moderation.models import ModerationAction
from apps.notifications.services import notification_moderation_send
from apps.papers.models import Paper
from apps.users.models import User

MAX_REASON_LENGTH = ModerationAction._meta.get_field("reason").max_length


def reason_clean(reason: str, *, required: bool, who: str = "the user") -> str:
    """The reason as stored: stripped, required where the user must be told why."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(f"Give a reason: {who} and the public log show it.", code="no_reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            f"Keep the reason under {MAX_REASON_LENGTH:,} characters.", code="too_long"
        )
    return reason


def with_reason(text: str, reason: str) -> str:
    return f"{text}\n\nReason given by the moderator: {reason}" if reason else text


def paper_label(paper: Paper) -> str:
    title = paper.title if len(paper.title) <= 120 else f"{paper.title[:119]}…"
    return f"{paper.arxiv_id} · {title}"


def comment_label(comment: Comment) -> str:
    return f"comment #{comment.pk} on {paper_label(comment.paper)}"


def item_target(item: Paper | Comment) -> dict[str, str | int]:
    """The log entry's target fields for a paper or a comment."""
    if isinstance(item, Comment):
        kind, label = ModerationAction.TargetType.COMMENT, comment_label(item)
    else:
        kind, label = ModerationAction.TargetType.PAPER, paper_label(item)
    return {
        "target_type": kind,
        "target_id": item.pk,
        "label": label,
        "url": item.get_absolute_url(),
    }


def log_action(
    *,
    moderator: User | None,
    action: str,
    target_type: str,
    target_id: int,
    label: str,
    url: str = "",
    subject_user: User | None = None,
    reason: str = "",
    note: str = "",
) -> ModerationAction:
    return ModerationAction.objects.create(
        moderator=moderator,
        moderator_name=moderator.username if moderator else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=label[:300],
        target_url=url,
        subject_user=subject_user,
        reason=reason,
        note=note.strip(),
    )


def notify(user: User | None, *, subject: str, message: str, url: str = "") -> None:
    if user is None or not user.is_active:
        return
    notification_moderation_send(recipient=user, subject=subject, message=message, url=url)
