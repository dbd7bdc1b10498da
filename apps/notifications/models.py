from django.conf import settings
from django.db import models


class Notification(models.Model):
    """Someone replied to or mentioned ``recipient`` in ``comment``, or a moderator decided
    something about the recipient or their content (``subject``, ``message``, ``url``)."""

    class Kind(models.TextChoices):
        REPLY = "reply", "replied to your comment"
        MENTION = "mention", "mentioned you"
        MODERATION = "moderation", "moderation"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    comment = models.ForeignKey(
        "comments.Comment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Moderation notices carry their own text and link (no comment).
    subject = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once the email went out, so a redelivered task does not send it twice.
    emailed_at = models.DateTimeField(null=True, blank=True)
    # An email is owed (the recipient wants this kind and has a verified address): cleared
    # when it is sent or no longer wanted. Those still owed after a while, whose task was lost
    # (the broker down when it was queued), are sent by a beat sweep.
    email_due = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_time"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notif_recipient_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_due=True),
                name="notif_email_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "comment"], name="notif_one_per_recipient_comment"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="moderation") | models.Q(comment__isnull=False),
                name="notif_comment_unless_moderation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """Which notification emails a user wants; no row means the defaults (all on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_on_reply = models.BooleanField("Email me when someone replies to me", default=True)
    email_on_mention = models.BooleanField("Email me when someone mentions me", default=True)
    email_on_moderation = models.BooleanField(
        "Email me when a moderator acts on my account or what I posted", default=True
    )

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"

    def wants_email(self, kind: str) -> bool:
        return {
            Notification.Kind.REPLY: self.email_on_reply,
            Notification.Kind.MENTION: self.email_on_mention,
            Notification.Kind.MODERATION: self.email_on_moderation,
        }[kind]
