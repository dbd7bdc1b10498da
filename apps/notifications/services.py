"""Notifications: written with the comment that causes them, emailed after commit."""

from __future__ import annotations

import datetime as dt
import logging
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

logger = logging.getLogger(__name__)

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
    preferences = {
        preference.user_id: preference
        for preference in NotificationPreference.objects.filter(user_id__in=recipients)
    }
    verified = users_with_verified_email(user_ids=recipients)
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                actor_id=comment.author_id,
                kind=kind,
                comment=comment,
                email_due=pk in verified
                and (preferences.get(pk) or NotificationPreference()).wants_email(kind),
            )
            for pk, (user, kind) in recipients.items()
        ]
    )
    for notification in notifications:
        _email_on_commit(notification)
    return notifications


def _email_on_commit(notification: Notification) -> None:
    """Queue the notification's email once the transaction commits, if one is owed (the
    recipient has a verified primary address and wants this kind of email)."""
    if notification.email_due:
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
        email_due=verified_primary_email(user=recipient) is not None
        and notification_preference_get(user=recipient).wants_email(Notification.Kind.MODERATION),
    )
    _email_on_commit(notification)
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
        recipient = notification.recipient
        # Only an address its owner proved to be theirs: anyone can sign up with someone
        # else's address and have it mentioned.
        address = verified_primary_email(user=recipient)
        if (
            (notification.comment is not None and not notification.comment.is_shown)
            or address is None
            or not notification_preference_get(user=recipient).wants_email(notification.kind)
        ):
            if notification.email_due:  # no longer owed: the sweep can forget it
                notification.email_due = False
                notification.save(update_fields=["email_due"])
            return False
        subject, body = _email_text(notification)
        EmailMultiAlternatives(subject=subject, body=body, to=[address]).send()
        notification.emailed_at = timezone.now()
        notification.email_due = False
        notification.save(update_fields=["emailed_at", "email_due"])
    return True


# Owed emails older than this are sent by the sweep: their task was lost, or is stuck.
OVERDUE_AFTER = dt.timedelta(minutes=10)
# Older than this, a notification's email is news no more: it is dropped instead.
OVERDUE_GIVE_UP = dt.timedelta(days=2)
OVERDUE_BATCH = 200


def notification_emails_overdue_send(*, now: dt.datetime | None = None) -> int:
    """Send the emails still owed ``OVERDUE_AFTER`` after their notification (their task was
    lost, e.g. queued while the broker was down); returns how many went out.

    Safe beside the tasks themselves: each send locks its notification and checks it again. A
    mail server that does not answer ends the run; the next run tries again.
    """
    now = now or timezone.now()
    Notification.objects.filter(email_due=True, created_at__lt=now - OVERDUE_GIVE_UP).update(
        email_due=False
    )
    overdue = list(
        Notification.objects.filter(email_due=True, created_at__lt=now - OVERDUE_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:OVERDUE_BATCH]
    )
    sent = 0
    for notification_id in overdue:
        try:
            sent += notification_email_send(notification_id=notification_id)
        except OSError:
            logger.warning("overdue notification emails: the mail server fails", exc_info=True)
            break
    if overdue:
        logger.info("overdue notification emails: %d owed, %d sent", len(overdue), sent)
    return sent
