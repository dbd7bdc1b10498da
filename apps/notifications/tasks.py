from celery import shared_task

from apps.notifications.services import (
    notification_email_send,
    notification_emails_overdue_send,
)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_notification_email(*, notification_id: int) -> bool:
    """Idempotent (the notification records when it was emailed), so redelivery is safe."""
    return notification_email_send(notification_id=notification_id)


@shared_task(acks_late=True)
def send_overdue_notification_emails() -> int:
    """Beat's sweep for emails whose task was lost; idempotent like the task above."""
    return notification_emails_overdue_send()
