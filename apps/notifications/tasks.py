from celery import shared_task

from apps.notifications.services import notification_email_send


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5}, acks_late=True
)
def send_notification_email(*, notification_id: int) -> bool:
    """Idempotent (the notification records when it was emailed), so redelivery is safe."""
    return notification_email_send(notification_id=notification_id)
