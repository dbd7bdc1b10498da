"""The reply email goes through the broker to a real Celery worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.comments.services import comment_create
from apps.notifications.models import Notification
from tests.factories import make_paper, make_user

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def worker(tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = os.environ | {
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "PAPERBOARD_TESTING": "1",
        "EMAIL_URL": f"file://{outbox}",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--hostname", f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield outbox
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_reply_notification_email_is_sent_by_a_real_worker(worker, tmp_path):
    paper = make_paper(title="Adaptive learning rates for LoRA")
    ada, alan = make_user("ada"), make_user("alan")
    parent = comment_create(author=ada, paper=paper, body="What about rsLoRA?")

    comment_create(author=alan, paper=paper, body="Table 3 compares it.", parent=parent)

    notification = Notification.objects.get(recipient=ada)
    # The worker marks the notification once the message is written and closed.
    deadline = time.monotonic() + 60
    while notification.emailed_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        notification.refresh_from_db()
    log = (tmp_path / "worker.log").read_text()
    assert notification.emailed_at is not None, f"worker log:\n{log[-3000:]}"
    files = list(worker.iterdir())
    assert len(files) == 1
    email = files[0].read_text()
    assert "To: ada@example.org" in email
    assert "alan replied to your comment" in email
    assert "Table 3 compares it." in email
