"""Notification emails whose task was lost (queued while the broker was down) are sent by
beat's sweep once overdue, exactly once, and only while still wanted."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.comments.services import comment_create
from apps.core import failopen
from apps.notifications.models import Notification
from apps.notifications.services import (
    OVERDUE_AFTER,
    OVERDUE_GIVE_UP,
    notification_emails_overdue_send,
    notification_preference_update,
)
from apps.notifications.tasks import send_overdue_notification_emails
from tests.factories import make_paper, make_user
from tests.servers import free_port, point_celery_at

pytestmark = pytest.mark.django_db

LOCMEM = {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}


@pytest.fixture
def mail_in_process(settings):
    settings.MAILERS = {"default": LOCMEM}


@pytest.fixture
def broker_down():
    """The Celery broker on a port nobody listens on: queuing a task fails (open)."""
    closed = f"redis://127.0.0.1:{free_port()}/0"
    previous = point_celery_at(closed, closed)
    failopen.reset()
    yield
    point_celery_at(*previous)
    failopen.reset()


def a_reply_to(author, django_capture_on_commit_callbacks, *, unverify=False) -> Notification:
    paper = make_paper()
    parent = comment_create(author=author, paper=paper, body="A thought")
    if unverify:  # the address became unverified after the author commented
        EmailAddress.objects.filter(user=author).update(verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=make_user(), paper=paper, body="A reply", parent=parent)
    return Notification.objects.get(recipient=author)


@pytest.mark.usefixtures("mail_in_process", "broker_down")
def test_an_email_lost_while_the_broker_was_down_is_sent_once_it_is_overdue(
    django_capture_on_commit_callbacks, caplog
):
    ada = make_user("ada")
    with caplog.at_level(logging.WARNING, logger="apps.core.failopen"):
        notification = a_reply_to(ada, django_capture_on_commit_callbacks)
    assert "could not queue apps.notifications.tasks.send_notification_email" in caplog.text
    assert notification.email_due
    assert notification.emailed_at is None
    assert mail.outbox == []

    not_yet = notification.created_at + OVERDUE_AFTER - dt.timedelta(seconds=1)
    assert notification_emails_overdue_send(now=not_yet) == 0  # its task may still come
    overdue = notification.created_at + OVERDUE_AFTER + dt.timedelta(seconds=1)
    assert notification_emails_overdue_send(now=overdue) == 1
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]
    notification.refresh_from_db()
    assert not notification.email_due
    assert notification.emailed_at is not None

    assert notification_emails_overdue_send(now=overdue) == 0
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("mail_in_process", "celery_eager")
def test_an_email_sent_by_its_task_is_owed_no_more(django_capture_on_commit_callbacks):
    notification = a_reply_to(make_user("ada"), django_capture_on_commit_callbacks)
    notification.refresh_from_db()
    assert len(mail.outbox) == 1
    assert not notification.email_due
    assert notification.emailed_at is not None
    later = timezone.now() + OVERDUE_AFTER * 2
    assert notification_emails_overdue_send(now=later) == 0
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("mail_in_process", "broker_down")
def test_no_email_is_owed_to_those_who_do_not_want_it_or_have_no_verified_address(
    django_capture_on_commit_callbacks, caplog
):
    quiet = make_user("quiet")
    notification_preference_update(
        user=quiet, email_on_reply=False, email_on_mention=True, email_on_moderation=True
    )
    with caplog.at_level(logging.WARNING, logger="apps.core.failopen"):
        assert not a_reply_to(quiet, django_capture_on_commit_callbacks).email_due
        unverified = a_reply_to(make_user(), django_capture_on_commit_callbacks, unverify=True)
        assert not unverified.email_due
    assert "could not queue" not in caplog.text  # nothing was even queued
    assert notification_emails_overdue_send(now=timezone.now() + OVERDUE_AFTER * 2) == 0
    assert mail.outbox == []


@pytest.mark.usefixtures("mail_in_process", "broker_down")
def test_an_email_no_longer_wanted_or_too_old_is_dropped_not_sent(
    django_capture_on_commit_callbacks,
):
    ada, grace = make_user("ada"), make_user("grace")
    changed_mind = a_reply_to(ada, django_capture_on_commit_callbacks)
    stale = a_reply_to(grace, django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - OVERDUE_GIVE_UP - dt.timedelta(minutes=1)
    )
    notification_preference_update(
        user=ada, email_on_reply=False, email_on_mention=True, email_on_moderation=True
    )

    assert notification_emails_overdue_send(now=timezone.now() + OVERDUE_AFTER * 2) == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(email_due=True).exists()
    assert Notification.objects.filter(pk__in=[changed_mind.pk, stale.pk], emailed_at=None).count()


@pytest.mark.usefixtures("broker_down")
def test_a_mail_server_that_does_not_answer_ends_the_sweep_and_keeps_the_emails_owed(
    settings, django_capture_on_commit_callbacks, caplog
):
    first = a_reply_to(make_user("ada"), django_capture_on_commit_callbacks)
    a_reply_to(make_user("grace"), django_capture_on_commit_callbacks)
    nobody_listens = {"host": "127.0.0.1", "port": free_port(), "timeout": 2}
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": nobody_listens,
        }
    }
    with caplog.at_level(logging.WARNING, logger="apps.notifications.services"):
        sent = notification_emails_overdue_send(now=first.created_at + OVERDUE_AFTER * 2)
    assert sent == 0
    assert caplog.text.count("the mail server fails") == 1  # stopped at the first
    assert Notification.objects.filter(email_due=True).count() == 2


@pytest.mark.usefixtures("mail_in_process", "broker_down")
def test_beat_runs_the_sweep(django_capture_on_commit_callbacks):
    notification = a_reply_to(make_user("ada"), django_capture_on_commit_callbacks)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - OVERDUE_AFTER - dt.timedelta(minutes=1)
    )
    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-send-overdue-emails"]
    assert schedule["task"] == send_overdue_notification_emails.name
    assert send_overdue_notification_emails.apply().get() == 1
    assert len(mail.outbox) == 1
