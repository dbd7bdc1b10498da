from __future__ import annotations

from django.db.models import QuerySet

from apps.notifications.models import Notification
from apps.users.models import User


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related(
        "actor", "comment__paper", "comment__author"
    )


def unread_notifications_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
