"""Notifications: written with the comment that causes them, emailed after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.core.failopen import enqueue
from apps.core.navigation import absolute_url
from apps.notifications.models import Notification, NotificationPreference
from apps.users.models import User
from apps.users.selectors import users_with_verified_email, verified_primary_email

MAX_MENTION_NOTIFICATIONS = 10


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The user's preferences, unsaved defaults when they never changed them."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def notification_preference_update(
    *, user: User, email_on_reply: bool, email_on_mention: bool, email_on_moderation: bool
) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "email_on_reply": email_on_reply,
            "email_on_mention": email_on_mention,
            "email_on_moderation": email_on_moderation,
        },
    )
    return preference


def notifications_for_comment(
    *, comment: Comment, mentioned_users: Iterable[User]
) -> list[Notification]:
    """Notify the parent's author (reply) and mentioned users; never the comment's author.

    Call inside the transaction that creates the comment: the emails are queued on commit.
    """
    recipients: dict[int, tuple[User, str]] = {}
    parent = comment.parent
    if parent is not None and parent.author is not None and parent.is_shown:
        recipients[parent.author.pk] = (parent.author, Notification.Kind.REPLY)
    # A cap, so that one comment cannot turn the site into a mass mailer.
    for user in list(mentioned_users)[:MAX_MENTION_NOTIFICATIONS]:
        recipients.setdefault(user.pk, (user, Notification.Kind.MENTION))
    recipients.pop(comment.author_id, None)
    recipients = {pk: item for pk, item in recipients.items() if not item[0].is_banned}
    if not recipients:
        return []
    notifications = Notification.objects.bulk_create(
        [
            Notification(recipient=user, actor_id=comment.author_id, kind=kind, comment=comment)
            for user, kind in recipients.values()
        ]
    )
    preferences = {
        preference.user_id: preference
        for preference in NotificationPreference.objects.filter(user_id__in=recipients)
    }
    verified = users_with_verified_email(user_ids=recipients)
    for notification in notifications:
        preference = preferences.get(notification.recipient_id) or NotificationPreference()
        _email_on_commit(notification, preference, verified=notification.recipient_id in verified)
    return notifications


def _email_on_commit(
    notification: Notification, preference: NotificationPreference, *, verified: bool
) -> None:
    """Queue the notification's email once the transaction commits, if the recipient has a
    verified primary address and wants this kind of email."""
    if verified and preference.wants_email(notification.kind):
        from apps.notifications.tasks import send_notification_email

        transaction.on_commit(
            lambda pk=notification.pk: enqueue(
                send_notification_email, kwargs={"notification_id": pk}
            )
        )


def notification_moderation_send(
    *, recipient: User, subject: str, message: str, url: str = "", actor: User | None = None
) -> Notification:
    """Tell a user what a moderator decided about them or their content, in the app and (if
    their preferences allow) by email after commit. Call inside the decision's transaction."""
    notification = Notification.objects.create(
        recipient=recipient,
        actor=actor,
        kind=Notification.Kind.MODERATION,
        subject=" ".join(subject.split())[:200],
        message=message,
        url=url,
    )
    _email_on_commit(
        notification,
        notification_preference_get(user=recipient),
        verified=verified_primary_email(user=recipient) is not None,
    )
    return notification


def notification_mark_read(*, user: User, notification_id: int) -> int:
    """Mark one of the user's notifications read; returns how many changed (0 or 1)."""
    return Notification.objects.filter(
        pk=notification_id, recipient=user, read_at__isnull=True
    ).update(read_at=timezone.now())


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _email_text(notification: Notification) -> tuple[str, str]:
    settings_url = absolute_url(reverse("notifications:settings"))
    if notification.kind == Notification.Kind.MODERATION:
        link = f"\n\n{absolute_url(notification.url)}" if notification.url else ""
        body = (
            f"{notification.message}{link}\n\n"
            f"You get this email because of your notification settings; turn these emails off "
            f"at {settings_url}\n"
        )
        return notification.subject, body
    comment = notification.comment
    actor = notification.actor.name_with_handle if notification.actor else "Someone"
    paper = comment.paper
    verb = notification.get_kind_display()
    # One line: a name or title with a line break would make the message unsendable.
    subject = " ".join(f"{actor} {verb} on “{paper.title[:80]}”".split())
    url = absolute_url(comment.get_absolute_url())
    body = (
        f"{actor} {verb} in the discussion of “{paper.title}”:\n\n"
        f"{comment.body[:2000]}\n\n"
        f"Read and reply: {url}\n\n"
        f"You get this email because of your notification settings; turn these emails off at "
        f"{settings_url}\n"
    )
    return subject, body


def notification_email_send(*, notification_id: int) -> bool:
    """Send the notification's email unless already sent, turned off, the comment is gone or
    the recipient has no verified primary address (checked again: it may have changed)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "actor", "comment__paper")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        if notification.comment is not None and not notification.comment.is_shown:
            return False
        recipient = notification.recipient
        preference = notification_preference_get(user=recipient)
        # Only an address its owner proved to be theirs: anyone can sign up with someone
        # else's address and have it mentioned.
        address = verified_primary_email(user=recipient)
        if address is None or not preference.wants_email(notification.kind):
            return False
        subject, body = _email_text(notification)
        EmailMultiAlternatives(subject=subject, body=body, to=[address]).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
