"""Email goes out from workers, so a slow mail server never slows a page; housekeeping."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
    acks_late=True,
)
def send_email(
    self,
    *,
    subject: str,
    body: str,
    to: list[str],
    html_body: str | None = None,
    from_email: str | None = None,
    mailer: str | None = None,
) -> int:
    """Send one message through a configured mailer (``mailer``: a MAILERS alias, the default
    one if None), from ``from_email`` (DEFAULT_FROM_EMAIL if None); network errors are retried."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send(using=mailer)


@shared_task(acks_late=True)
def clear_expired_sessions() -> None:
    """Delete expired sessions (Django never does by itself; beat runs this nightly).
    Idempotent: a redelivered run finds nothing more to delete."""
    call_command("clearsessions")
