"""A real Celery worker killed in the middle of a batch: nothing is lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from apps.digests.models import Delivery, Frequency
from apps.digests.sending import deliveries_plan
from apps.digests.tasks import send_digest_batches
from tests.digests.test_sending import MONDAY, TUESDAY, at, papers_on, subscribe

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SUBSCRIBERS = 12
BATCH_SIZE = 4
ACCEPTED_BEFORE_KILL = 5  # the whole first batch, and one message of the second
LEASE_SECONDS = 3


@pytest.fixture
def celery_worker_env(smtp_server) -> dict[str, str]:
    return {
        "DIGEST_EMAIL_URL": smtp_server.url,
        "DIGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "DIGEST_BATCH_SIZE": str(BATCH_SIZE),
    }


def wait_for(condition, *, timeout: float, what: str, log=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log else ""
            pytest.fail(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.1)


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Delivery.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


@pytest.mark.worker
def test_worker_killed_mid_batch_leaves_nothing_lost_and_nothing_doubled(
    celery_worker, celery_worker_env, smtp_server, tmp_path
):
    papers_on(MONDAY)
    emails = [f"reader{n:02d}@example.org" for n in range(SUBSCRIBERS)]
    for email in emails:
        subscribe(email)
    assert deliveries_plan(frequency=Frequency.DAILY, now=at(TUESDAY, 8)).planned == SUBSCRIBERS
    handler = smtp_server.handler
    # The server accepts five messages, then holds the sixth at DATA: the worker is stuck in
    # the middle of its second batch.
    handler.hold_after = ACCEPTED_BEFORE_KILL

    send_digest_batches.delay()
    assert handler.holding.wait(timeout=30), celery_worker.log.read_text()[-3000:]

    celery_worker.process.send_signal(signal.SIGKILL)
    celery_worker.process.wait(timeout=10)
    # The held message is answered "not accepted" (to nobody): it never arrived.
    handler.hold_after = None
    handler.release.set()
    assert sum(handler.received().values()) == ACCEPTED_BEFORE_KILL
    # Five recorded sent; the rest of the killed batch claimed, under a lease; the rest pending.
    assert statuses() == {
        "sent": ACCEPTED_BEFORE_KILL,
        "sending": 2 * BATCH_SIZE - ACCEPTED_BEFORE_KILL,
        "pending": SUBSCRIBERS - 2 * BATCH_SIZE,
    }

    env = {
        **os.environ,
        "PAPERBOARD_TESTING": "1",
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "EMAIL_URL": f"file://{tmp_path}",
        **celery_worker_env,
    }
    log_path = tmp_path / "second-worker.log"
    with log_path.open("w") as log:
        second = subprocess.Popen(  # noqa: S603
            celery_worker.process.args,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        send_digest_batches.delay()
        # The pending rows go at once; the killed batch's when its lease has expired (the
        # chain comes back for them by itself).
        wait_for(
            lambda: statuses() == {"sent": SUBSCRIBERS},
            timeout=30,
            what="every delivery sent",
            log=log_path,
        )
    finally:
        second.terminate()
        second.wait(timeout=20)

    assert handler.received() == dict.fromkeys(emails, 1)
    for delivery in Delivery.objects.all():
        assert delivery.sent_at is not None
        assert delivery.message_id
    # Claimed by the killed worker, then again after its lease: the rest of its batch.
    assert Delivery.objects.filter(attempts=2).count() == 2 * BATCH_SIZE - ACCEPTED_BEFORE_KILL
