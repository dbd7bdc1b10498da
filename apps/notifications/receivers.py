"""Notifications react to comments: a reply or a mention notifies, in the comment's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import receiver

from apps.comments.models import Comment
from apps.comments.signals import comment_created
from apps.notifications.services import notifications_for_comment
from apps.users.models import User


@receiver(comment_created, dispatch_uid="notifications_for_new_comment")
def notify_on_comment(sender, comment: Comment, mentioned_users: Iterable[User], **kwargs) -> None:
    notifications_for_comment(comment=comment, mentioned_users=mentioned_users)
