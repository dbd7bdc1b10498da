"""A real Celery worker process picks tasks from Redis and sends real email."""

import pytest

from apps.core.tasks import send_email


@pytest.mark.worker
def test_worker_process_sends_queued_email(celery_worker):
    result = send_email.apply_async(
        ignore_result=False,  # results are not kept by default
        kwargs={
            "subject": "Your daily papers",
            "body": "Three new papers on LoRA.",
            "to": ["reader@example.org"],
            "html_body": "<p>Three new papers on <b>LoRA</b>.</p>",
        },
    )
    assert result.get(timeout=60) == 1, celery_worker.log.read_text()[-3000:]
    sent = [path.read_text() for path in celery_worker.outbox.iterdir()]
    assert len(sent) == 1
    assert "Subject: Your daily papers" in sent[0]
    assert "To: reader@example.org" in sent[0]
    assert "<b>LoRA</b>" in sent[0]
