"""Planning and sending digests: each period's digest to each subscriber at most once.

Planning (``deliveries_plan``, hourly from the beat task or ``manage.py send_digests``) inserts
a ``Delivery`` row per (subscription, digest) for the subscribers whose slot is due
(``apps.digests.schedule``). The row's unique constraint makes planning again, or two planners
at once, harmless.

Sending (``deliveries_send``) claims a batch of due rows in one committed UPDATE (``FOR UPDATE
SKIP LOCKED``): they are ``sending``, owned by the batch's claim until its lease ends, so two
senders never hold the same row, and the rows of a sender that dies are claimed again once
the lease has run out. Each message goes to the mail server on its own over the batch's one
connection; the next query marks its row ``sent`` and commits. A refused recipient is retried
alone, later, up to DIGEST_MAX_ATTEMPTS times. A batch stops before its lease runs out and
hands back the rows it has not sent, so no row is claimed again while its sender may still
be sending it (as long as one message takes less than the last quarter of the lease to send:
seconds, against a lease of minutes).

The one window where a digest can go out twice: after the mail server has accepted the
message (its reply to DATA) and before the UPDATE that marks the row sent has committed: one
database round trip. If the sender dies or loses the database in that moment, the row stays
``sending``, its lease expires and another sender sends the message again. (Likewise, if the
connection drops after the message was transmitted but before the server's reply arrived, the
server may have accepted a message recorded as not sent; SMTP gives no way to know.) Every
other failure sends less, never twice: a message the server did not accept is recorded as not
sent and retried.

Run it outside a transaction: every claim and every outcome is committed at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from apps.digests import schedule, selectors, services
from apps.digests.models import Delivery, Subscription
from apps.digests.rendering import DigestRenderer
from apps.papers.periods import Period

logger = logging.getLogger(__name__)

# A batch stops sending once this share of its lease is used: the rest is margin for the
# message in flight (the SMTP timeout is 10 s) and for recording it.
LEASE_USE = 0.75
ERROR_LENGTH = 500
# Refused by the server for this message only (the connection is still usable), or an address
# that cannot be written in an SMTP envelope.
RECIPIENT_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    ValueError,
)

# The active subscribers due: their (zone, hour) slot, passed as arrays, is at least as late
# as their confirmation.
_DUE = """
    SELECT s.id FROM digests_subscription s
    JOIN unnest(%(zones)s::varchar[], %(hours)s::smallint[], %(slots)s::timestamptz[])
        AS g(time_zone, hour, slot)
        ON s.time_zone = g.time_zone AND s.delivery_hour = g.hour
    WHERE s.status = 'active' AND s.frequency = %(frequency)s AND s.confirmed_at <= g.slot
"""
_PLAN = f"""
    WITH due AS ({_DUE}), planned AS (
        INSERT INTO digests_delivery (
            subscription_id, digest_id, status, attempts, next_attempt_at, paper_ids,
            last_error, message_id, created_at
        )
        SELECT id, %(digest)s, 'pending', 0, %(now)s, '{{}}', '', '', %(now)s FROM due
        ON CONFLICT (subscription_id, digest_id) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM planned)
"""  # noqa: S608 (constants only; values are parameters)
_PLAN_DRY_RUN = f"""
    WITH due AS ({_DUE})
    SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
        SELECT 1 FROM digests_delivery d
        WHERE d.subscription_id = due.id AND d.digest_id = %(digest)s
    ))
    FROM due
"""  # noqa: S608 (constants only; values are parameters)
# Rows whose lease expired first (they have waited longest), then pending rows that are due.
# Each arm walks its own partial index in order; one WHERE with OR would make PostgreSQL
# filter the whole table's sent rows in id order (80 ms at 600,000 rows, growing with history,
# against 3 ms).
_CLAIM = """
    WITH expired AS (
        SELECT id FROM digests_delivery
        WHERE status = 'sending' AND lease_until < %(now)s
        ORDER BY lease_until
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    ), due AS (
        SELECT id FROM digests_delivery
        WHERE status = 'pending' AND next_attempt_at <= %(now)s
        ORDER BY next_attempt_at
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE digests_delivery
    SET status = 'sending', claim = %(claim)s, lease_until = %(lease_until)s,
        attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM (SELECT id FROM expired UNION ALL SELECT id FROM due) AS claimable
        LIMIT %(limit)s
    )
    RETURNING id
"""
_SENT = """
    UPDATE digests_delivery
    SET status = 'sent', sent_at = %(now)s, lease_until = NULL, message_id = %(message_id)s,
        paper_ids = %(paper_ids)s::bigint[], last_error = ''
    WHERE id = %(id)s AND claim = %(claim)s
"""
# A failed attempt: retried after DIGEST_RETRY_SECONDS times the attempts so far, or failed
# for good after DIGEST_MAX_ATTEMPTS.
_FAILED = """
    UPDATE digests_delivery
    SET status = CASE WHEN attempts >= %(max_attempts)s THEN 'failed' ELSE 'pending' END,
        next_attempt_at = %(now)s + make_interval(secs => %(retry_seconds)s * attempts),
        lease_until = NULL, last_error = %(error)s
    WHERE id = %(id)s AND claim = %(claim)s
    RETURNING status
"""
# Rows handed back unsent: the claim's attempt does not count.
_RELEASE = """
    UPDATE digests_delivery
    SET status = 'pending', next_attempt_at = %(at)s, lease_until = NULL,
        attempts = greatest(attempts - 1, 0),
        last_error = coalesce(nullif(%(error)s, ''), last_error)
    WHERE id = ANY(%(ids)s) AND claim = %(claim)s
"""
_SKIP = """
    UPDATE digests_delivery SET status = 'skipped', lease_until = NULL
    WHERE id = ANY(%(ids)s) AND claim = %(claim)s
"""
_NEXT_DUE = """
    SELECT least(
        (SELECT min(next_attempt_at) FROM digests_delivery WHERE status = 'pending'),
        (SELECT min(lease_until) FROM digests_delivery WHERE status = 'sending')
    )
"""
_DUE_NOW = """
    SELECT
        (SELECT count(*) FROM digests_delivery
         WHERE status = 'pending' AND next_attempt_at <= %(now)s)
        + (SELECT count(*) FROM digests_delivery
           WHERE status = 'sending' AND lease_until < %(now)s)
"""


@dataclass
class PlanResult:
    due: int = 0  # subscribers whose digest is due (planned now or earlier)
    planned: int = 0  # delivery rows created by this run
    periods: list[Period] = field(default_factory=list)
    empty_periods: list[Period] = field(default_factory=list)  # no papers: nothing to send


@dataclass
class SendResult:
    sent: int = 0
    skipped: int = 0  # the subscription was no longer active (or changed frequency)
    failed: int = 0  # after DIGEST_MAX_ATTEMPTS attempts
    retried: int = 0  # attempts that failed and will be retried later


Slot = tuple[str, int, dt.datetime]  # time zone, delivery hour, slot in UTC


def deliveries_plan(
    *,
    frequency: str,
    now: dt.datetime | None = None,
    period: Period | None = None,
    dry_run: bool = False,
) -> PlanResult:
    """Create the delivery rows of every subscriber of ``frequency`` whose slot is due at
    ``now``, freezing each due period's digest; an empty period plans nothing.

    ``period`` (the operator's choice): that period for every active subscriber confirmed
    before ``now``, whatever their hour; ValueError for a period of the other frequency or
    one not over yet. ``dry_run`` counts the same and writes nothing (no digest is frozen).
    """
    now = now or timezone.now()
    if period is not None:
        _check_period(frequency=frequency, period=period, now=now)
    pairs = list(
        Subscription.objects.filter(status=Subscription.Status.ACTIVE, frequency=frequency)
        .values_list("time_zone", "delivery_hour")
        .distinct()
    )
    groups: dict[Period, list[Slot]] = defaultdict(list)
    if period is not None:
        groups[period] = [(time_zone, hour, now) for time_zone, hour in pairs]
    else:
        for time_zone, hour in pairs:
            due = schedule.due_period(frequency=frequency, time_zone=time_zone, hour=hour, now=now)
            if due is not None:
                slot, due_period = due
                groups[due_period].append((time_zone, hour, slot))

    result = PlanResult()
    for due_period, slots in sorted(groups.items(), key=lambda item: item[0].start):
        if dry_run:
            digest = selectors.digest_for_period(frequency, due_period)
            empty = digest is None and not selectors.digest_top_paper_ids(
                period=due_period, limit=1
            )
        else:
            digest = services.digest_freeze(frequency=frequency, period=due_period)
            empty = digest is None
        if empty:
            result.empty_periods.append(due_period)
            continue
        params = {
            "zones": [time_zone for time_zone, _, _ in slots],
            "hours": [hour for _, hour, _ in slots],
            "slots": [slot for _, _, slot in slots],
            "frequency": frequency,
            "digest": digest.pk if digest else None,
            "now": now,
        }
        with connection.cursor() as cursor:
            cursor.execute(_PLAN_DRY_RUN if dry_run else _PLAN, params)
            due, planned = cursor.fetchone()
        result.periods.append(due_period)
        result.due += due
        result.planned += planned
    return result


def _check_period(*, frequency: str, period: Period, now: dt.datetime) -> None:
    if period.kind != schedule.PERIOD_KIND[frequency]:
        raise ValueError(f"a {frequency} digest covers a {schedule.PERIOD_KIND[frequency]}")
    if period.end >= now.astimezone(dt.UTC).date():
        raise ValueError(f"{period.value} is not over yet")


def deliveries_send(
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> SendResult:
    """Send due deliveries (of any frequency) batch by batch until none is left, or for
    ``max_batches`` batches; ``progress(n)`` is told of each delivery dealt with."""
    sender = _Sender(
        batch_size=batch_size or settings.DIGEST_BATCH_SIZE,
        progress=progress or (lambda n: None),
    )
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        if not sender.send_batch():
            break
    return sender.result


def deliveries_next_due_at() -> dt.datetime | None:
    """When the next delivery may be claimed: the earliest pending retry or lease end."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_DUE)
        return cursor.fetchone()[0]


def deliveries_due_count() -> int:
    """How many deliveries a sender could claim now."""
    with connection.cursor() as cursor:
        cursor.execute(_DUE_NOW, {"now": timezone.now()})
        return cursor.fetchone()[0]


class _Sender:
    """Sends batch after batch; one renderer per digest, kept across batches."""

    def __init__(self, *, batch_size: int, progress: Callable[[int], object]) -> None:
        self.batch_size = batch_size
        self.progress = progress
        self.lease = dt.timedelta(seconds=settings.DIGEST_LEASE_SECONDS)
        self.retry_seconds = settings.DIGEST_RETRY_SECONDS
        self.max_attempts = settings.DIGEST_MAX_ATTEMPTS
        self.renderers: dict[int, DigestRenderer] = {}
        self.result = SendResult()

    def send_batch(self) -> bool:
        """Claim and send one batch; False when there is nothing more to do now (nothing
        due, or the mail server is unavailable)."""
        claim = uuid.uuid4()
        stop_at = monotonic() + self.lease.total_seconds() * LEASE_USE
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM,
                {
                    "claim": claim,
                    "lease_until": now + self.lease,
                    "now": now,
                    "limit": self.batch_size,
                },
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return False
        deliveries = list(
            Delivery.objects.filter(pk__in=ids)
            .select_related("subscription__user", "digest")
            .order_by("pk")
        )
        wanted: list[Delivery] = []
        unwanted: list[int] = []
        for delivery in deliveries:
            if _still_wanted(delivery):
                wanted.append(delivery)
            else:
                unwanted.append(delivery.pk)
        if unwanted:
            self._execute(_SKIP, {"ids": unwanted, "claim": claim})
            self.result.skipped += len(unwanted)
            self.progress(len(unwanted))
        if not wanted:
            return True
        self._prefetch(wanted)

        mail = mailers["digests"]
        try:
            mail.open()
        except OSError as error:
            logger.warning("Digest mail server unavailable: %s", error)
            retry_at = timezone.now() + dt.timedelta(seconds=self.retry_seconds)
            self._release(wanted, claim=claim, at=retry_at, error=_describe(error))
            self.result.retried += len(wanted)
            return False
        try:
            self._send_all(wanted, mail=mail, claim=claim, stop_at=stop_at)
        finally:
            try:
                mail.close()
            except OSError as error:  # every outcome is recorded already
                logger.warning("Closing the digest mail connection failed: %s", error)
        return True

    def _send_all(
        self,
        deliveries: list[Delivery],
        *,
        mail: BaseEmailBackend,
        claim: uuid.UUID,
        stop_at: float,
    ) -> None:
        for index, delivery in enumerate(deliveries):
            if monotonic() >= stop_at:
                # Released unsent rather than sent after another sender may have claimed it.
                self._release(deliveries[index:], claim=claim, at=timezone.now(), error="")
                return
            try:
                message, paper_ids = self._message(delivery)
            except Exception as error:  # one subscriber's email, not the batch
                logger.exception("Rendering digest delivery %s failed", delivery.pk)
                self._failed(delivery, claim=claim, error=_describe(error))
                continue
            try:
                sent = mail.send_messages([message])
            except RECIPIENT_ERRORS as error:
                self._failed(delivery, claim=claim, error=_describe(error))
                continue
            except OSError as error:  # the connection is gone: hand the rest back
                logger.warning("Digest mail connection lost: %s", error)
                self._failed(delivery, claim=claim, error=_describe(error))
                self._release(deliveries[index + 1 :], claim=claim, at=timezone.now(), error="")
                return
            if sent:
                self._sent(delivery, claim=claim, message=message, paper_ids=paper_ids)
            else:
                self._failed(delivery, claim=claim, error="the mail backend sent nothing")

    def _renderer(self, delivery: Delivery) -> DigestRenderer:
        renderer = self.renderers.get(delivery.digest_id)
        if renderer is None:
            renderer = self.renderers[delivery.digest_id] = DigestRenderer(delivery.digest)
        return renderer

    def _prefetch(self, deliveries: list[Delivery]) -> None:
        """The batch's "for you" inputs, two queries per digest in the batch."""
        by_digest: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in deliveries:
            by_digest[delivery.digest_id].append(delivery)
        for batch in by_digest.values():
            renderer = self._renderer(batch[0])
            renderer.prefetch([delivery.subscription for delivery in batch])

    def _message(self, delivery: Delivery) -> tuple[EmailMultiAlternatives, list[int]]:
        return self._renderer(delivery).message(delivery.subscription)

    def _sent(
        self,
        delivery: Delivery,
        *,
        claim: uuid.UUID,
        message: EmailMultiAlternatives,
        paper_ids: list[int],
    ) -> None:
        recorded = self._execute(
            _SENT,
            {
                "now": timezone.now(),
                "message_id": str(message.extra_headers.get("Message-ID", ""))[:255],
                "paper_ids": paper_ids,
                "id": delivery.pk,
                "claim": claim,
            },
        )
        if not recorded:
            logger.error(
                "Digest delivery %s was sent after its lease ended: it may go out twice",
                delivery.pk,
            )
        self.result.sent += 1
        self.progress(1)

    def _failed(self, delivery: Delivery, *, claim: uuid.UUID, error: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                _FAILED,
                {
                    "max_attempts": self.max_attempts,
                    "retry_seconds": self.retry_seconds,
                    "now": timezone.now(),
                    "error": error,
                    "id": delivery.pk,
                    "claim": claim,
                },
            )
            row = cursor.fetchone()
        if row is None:
            return  # no longer ours: its new owner records the outcome
        if row[0] == Delivery.Status.FAILED:
            logger.warning("Digest delivery %s failed for good: %s", delivery.pk, error)
            self.result.failed += 1
        else:
            self.result.retried += 1
        self.progress(1)

    def _release(
        self, deliveries: list[Delivery], *, claim: uuid.UUID, at: dt.datetime, error: str
    ) -> None:
        if deliveries:
            ids = [delivery.pk for delivery in deliveries]
            self._execute(_RELEASE, {"ids": ids, "claim": claim, "at": at, "error": error})

    @staticmethod
    def _execute(sql: str, params: dict) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


def _still_wanted(delivery: Delivery) -> bool:
    subscription = delivery.subscription
    return subscription.is_active and subscription.frequency == delivery.digest.frequency


def _describe(error: BaseException) -> str:
    """The error for ``last_error``: its type and message on one line, truncated. SMTP and
    socket errors carry the server's reply, never the mailer's credentials."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text[:ERROR_LENGTH]
