"""Writing the public log and telling the affected user: the two steps every moderation
action ends with, inside its transaction."""

from __future__ import annotations

from apps.comments.models import Comment
from apps.moderation.models import ModerationAction
from apps.notifications.services import notification_moderation_send
from apps.papers.models import Paper
from apps.users.models import User


def paper_label(paper: Paper) -> str:
    title = paper.title if len(paper.title) <= 120 else f"{paper.title[:119]}…"
    return f"{paper.arxiv_id} · {title}"


def comment_label(comment: Comment) -> str:
    return f"comment #{comment.pk} on {paper_label(comment.paper)}"


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
