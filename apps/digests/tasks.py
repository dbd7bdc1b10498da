"""Background work of digests: the hourly plan-and-send, and expiring unconfirmed addresses.

``send_due_digests`` (beat, hourly) plans what is due and starts DIGEST_SENDERS chains of
``send_digest_batches``. Each task of a chain sends a few batches, then queues its successor:
at once while deliveries are due, or for when the earliest retry or expired lease comes due,
if that is within the hour; later work is left to the next hourly run. A task killed halfway
loses nothing: its claimed rows are sent by whoever claims them after their lease.
"""

import datetime as dt
import math
from dataclasses import asdict

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.core.failopen import enqueue
from apps.digests.models import Frequency
from apps.digests.sending import deliveries_next_due_at, deliveries_plan, deliveries_send
from apps.digests.services import subscriptions_expire_unconfirmed

BATCHES_PER_TASK = 5
# The hourly beat task takes over beyond this (and a countdown longer than the broker's
# visibility timeout, an hour by default, could be delivered twice).
RESCHEDULE_HORIZON = dt.timedelta(hours=1)
# Each batch stops before its lease ends (apps.digests.sending), so a task takes at most
# BATCHES_PER_TASK leases; the limits only stop a task that hangs.
_TASK_SECONDS = BATCHES_PER_TASK * settings.DIGEST_LEASE_SECONDS


@shared_task(acks_late=True, ignore_result=True)
def send_due_digests() -> dict:
    """Beat, hourly: plan the daily and weekly deliveries due, then start the senders."""
    plans = {frequency: deliveries_plan(frequency=frequency) for frequency in Frequency.values}
    _continue_sending(chains=settings.DIGEST_SENDERS)
    return {
        frequency: {"due": plan.due, "planned": plan.planned, "empty": len(plan.empty_periods)}
        for frequency, plan in plans.items()
    }


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=_TASK_SECONDS + 60,
    time_limit=_TASK_SECONDS + 120,
)
def send_digest_batches() -> dict:
    """Send up to BATCHES_PER_TASK batches, then hand over to the next task of the chain."""
    result = deliveries_send(max_batches=BATCHES_PER_TASK)
    _continue_sending(chains=1)
    return asdict(result)


def _continue_sending(*, chains: int) -> None:
    """Queue ``chains`` senders for when the next delivery is due, unless nothing is due
    within RESCHEDULE_HORIZON."""
    next_due = deliveries_next_due_at()
    if next_due is None:
        return
    wait = next_due - timezone.now()
    if wait > RESCHEDULE_HORIZON:
        return
    countdown = max(0, math.ceil(wait.total_seconds()))
    for _ in range(chains):
        enqueue(send_digest_batches, countdown=countdown)


@shared_task(acks_late=True, ignore_result=True)
def expire_unconfirmed_subscriptions() -> int:
    """Beat, daily: end subscriptions never confirmed (see the service)."""
    return subscriptions_expire_unconfirmed()
