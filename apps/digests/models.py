"""Digest subscriptions, the frozen digest of each period, and one delivery row per
(subscription, digest): the row that makes each digest go out at most once."""

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


def new_subscription_token() -> str:
    """An opaque secret for the unsubscribe and manage links (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class Subscription(models.Model):
    """An address that asked for digests. Nothing but the confirmation is mailed to it until
    it is ``active`` (confirmed through the signed link, or a verified account address)."""

    class Status(models.TextChoices):
        PENDING = "pending", "awaiting confirmation"
        ACTIVE = "active", "active"
        UNSUBSCRIBED = "unsubscribed", "unsubscribed"
        BOUNCED = "bounced", "disabled after bounces"

    # Stored lower-cased (services normalise it), so uniqueness is case-insensitive.
    email = models.EmailField(max_length=254, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digest_subscription",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    # Local hour (0-23) in ``time_zone`` (an IANA name) at which the digest is due.
    delivery_hour = models.PositiveSmallIntegerField(default=8, validators=[MaxValueValidator(23)])
    time_zone = models.CharField(max_length=64, default="UTC")
    token = models.CharField(max_length=64, unique=True, default=new_subscription_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery_hour__lte=23), name="digests_subscription_hour_0_23"
            ),
        ]
        indexes = [
            # The hourly planner: active subscriptions of a frequency by (zone, hour).
            models.Index(
                fields=["frequency", "time_zone", "delivery_hour"],
                condition=Q(status="active"),
                name="digests_sub_active_slot_idx",
            ),
            # Expiring unconfirmed subscriptions.
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="digests_sub_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.frequency}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Digest(models.Model):
    """A period's digest: its top papers, frozen when the period is first sent, so every
    subscriber and the web archive show the same list."""

    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    paper_ids = ArrayField(models.BigIntegerField(), default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["frequency", "period_start"], name="digests_digest_one_per_period"
            ),
        ]
        ordering = ["-period_start", "frequency"]

    def __str__(self) -> str:
        return f"{self.frequency} digest of {self.period_start}"


class Delivery(models.Model):
    """One digest to one subscriber. Its unique (subscription, digest) row is claimed in the
    database before sending, so no two senders send it, and a sender that dies leaves a lease
    that expires, so someone else sends it (apps.digests.sending)."""

    class Status(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "claimed by a sender"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        SKIPPED = "skipped", "skipped"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A pending row may be claimed from this time on (later after a failed attempt).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A claimed row belongs to ``claim`` until ``lease_until``; then anyone may claim it.
    claim = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    # Every paper the email showed, so later digests' "for you" part does not repeat them.
    paper_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "digest"], name="digests_delivery_once_per_digest"
            ),
        ]
        indexes = [
            # Senders claim pending rows that are due, and sending rows whose lease expired.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="digests_delivery_due_idx",
            ),
            models.Index(
                fields=["lease_until"],
                condition=Q(status="sending"),
                name="digests_delivery_lease_idx",
            ),
            # "Already seen in an earlier digest": a subscriber's recent sent deliveries.
            models.Index(
                fields=["subscription", "-sent_at"],
                condition=Q(status="sent"),
                name="digests_delivery_sent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.digest} to {self.subscription_id} ({self.status})"
