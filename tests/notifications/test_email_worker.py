"""The reply email goes through the broker to a real Celery worker process."""

import time

import pytest

from apps.comments.services import comment_create
from apps.notifications.models import Notification
from tests.factories import make_paper, make_user


@pytest.mark.worker
def test_reply_notification_email_is_sent_by_a_real_worker(celery_worker):
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
    log = celery_worker.log.read_text()
    assert notification.emailed_at is not None, f"worker log:\n{log[-3000:]}"
    files = list(celery_worker.outbox.iterdir())
    assert len(files) == 1
    email = files[0].read_text()
    assert "To: ada@example.org" in email
    assert "alan replied to your comment" in email
    assert "Table 3 compares it." in email
