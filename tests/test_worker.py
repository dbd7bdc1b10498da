"""A real Celery worker process picks tasks from Redis and sends real email."""

import pytest

from apps.core.tasks import send_email


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_process_sends_queued_email(celery_worker_process):
    queue, mail_dir = celery_worker_process
    result = send_email.apply_async(
        kwargs={
            "subject": "Your daily papers",
            "body": "Three new papers on LoRA.",
            "to": ["reader@example.org"],
            "html_body": "<p>Three new papers on <b>LoRA</b>.</p>",
        },
        queue=queue,
    )
    assert result.get(timeout=60) == 1
    sent = [path.read_text() for path in mail_dir.iterdir()]
    assert len(sent) == 1
    assert "Subject: Your daily papers" in sent[0]
    assert "To: reader@example.org" in sent[0]
    assert "<b>LoRA</b>" in sent[0]
