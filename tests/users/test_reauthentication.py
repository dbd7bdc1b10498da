"""Issue 13 item 11: a stolen session cannot delete the account or change its email address
without a recent password (or, for accounts without one, a code mailed to a verified address)."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.users.models import User
from tests.factories import make_user, verify_for_log_in
from tests.users.conftest import reauthenticate

pytestmark = pytest.mark.django_db

REAUTH = "account_reauthenticate"


def add_email(client, email="thief@example.net"):
    return client.post(reverse("account_email"), {"action_add": "", "email": email})


def test_deletion_without_a_recent_password_asks_for_it_and_deletes_nothing(client, verified_user):
    client.force_login(verified_user)  # a session cookie is all the thief has
    for response in (
        client.get(reverse("users:delete")),
        client.post(reverse("users:delete"), {"confirm_username": "ada"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(REAUTH))
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_a_wrong_password_does_not_unlock_deletion(client, verified_user):
    client.force_login(verified_user)
    assert reauthenticate(client, "not the password").status_code == 400
    response = client.post(reverse("users:delete"), {"confirm_username": "ada"})
    assert response["Location"].startswith(reverse(REAUTH))
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_after_the_password_deletion_works_and_the_request_is_resumed(client, verified_user):
    client.force_login(verified_user)
    response = client.post(reverse("users:delete"), {"confirm_username": "ada"})
    # The password page carries the deletion on: confirming it finishes the request.
    response = client.post(response["Location"], {"password": "correct horse battery staple"})
    assert not User.objects.filter(pk=verified_user.pk).exists()


def test_email_change_without_a_recent_password_asks_for_it(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(verified_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_email(client)
    assert response["Location"].startswith(reverse(REAUTH))
    assert not EmailAddress.objects.filter(email="thief@example.net").exists()
    assert mailoutbox == []

    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_email(client)
    assert EmailAddress.objects.filter(email="thief@example.net", user=verified_user).exists()


def test_a_recent_password_expires(client, verified_user, settings, monkeypatch):
    client.force_login(verified_user)
    reauthenticate(client)
    assert client.get(reverse("users:delete")).status_code == 200
    later = time.time() + settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(reverse("users:delete"))
    assert response["Location"].startswith(reverse(REAUTH))
    add = add_email(client)
    assert add["Location"].startswith(reverse(REAUTH))


def test_an_account_without_a_password_confirms_with_a_mailed_code(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = verify_for_log_in(make_user("gh-only"))
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    response = client.get(reverse("users:delete"))
    assert response["Location"].startswith(reverse("account_request_reauthentication_code"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"recipient": user.email})
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [user.email]
    (code,) = re.findall(r"^\s*([A-Z0-9-]{6,})\s*$", message.body, re.MULTILINE)
    response = client.post(reverse("account_confirm_reauthentication_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("users:delete")).status_code == 200
