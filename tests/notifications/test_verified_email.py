"""Notification emails go only to a verified primary address: an account made with someone
else's address, then mentioned, must not make the site mail that address."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from apps.comments.services import comment_create
from apps.moderation import services as moderation_services
from apps.notifications.models import Notification
from apps.notifications.services import notification_email_send
from tests.factories import make_paper, make_user
from tests.moderation.conftest import make_moderator

pytestmark = pytest.mark.django_db

MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def _mail_in_process(settings, celery_eager):
    settings.MAILERS = MAILERS


@pytest.mark.usefixtures("_mail_in_process")
def test_a_mention_of_an_unverified_account_notifies_in_the_app_but_mails_nobody(
    django_capture_on_commit_callbacks,
):
    squatter = make_user("victim", verified=False)  # signed up with victim@example.org
    verified = make_user("reader")
    paper = make_paper()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment_create(author=make_user(), paper=paper, body="Hello @victim and @reader")

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        squatter.username,
        verified.username,
    }
    assert len(callbacks) == 1  # nothing queued for the unverified address
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]


@pytest.mark.usefixtures("_mail_in_process")
def test_the_email_goes_to_the_verified_primary_address_checked_when_sending():
    ada = make_user("ada")
    paper = make_paper()
    parent = comment_create(author=ada, paper=paper, body="A thought")
    comment_create(author=make_user(), paper=paper, body="A reply", parent=parent)
    notification = Notification.objects.get(recipient=ada)
    Notification.objects.update(emailed_at=None)
    mail.outbox.clear()

    # Between queueing and sending the address was replaced by an unverified one.
    EmailAddress.objects.filter(user=ada).update(verified=False)
    assert notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []

    # Another address of the account, verified and primary: that one gets it.
    EmailAddress.objects.filter(user=ada).update(primary=False)
    EmailAddress.objects.create(user=ada, email="ada@lab.example", verified=True, primary=True)
    assert notification_email_send(notification_id=notification.pk) is True
    assert [message.to for message in mail.outbox] == [["ada@lab.example"]]


@pytest.mark.usefixtures("_mail_in_process")
def test_a_moderation_notice_to_an_unverified_account_is_not_mailed(
    django_capture_on_commit_callbacks,
):
    user = make_user("fresh", verified=False)

    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.user_warn(moderator=make_moderator(), user=user, reason="Be kind.")

    assert Notification.objects.get().recipient == user
    assert mail.outbox == []
