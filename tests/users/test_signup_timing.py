"""Issue 13 item 9: signing up with a registered address costs what a new sign-up costs, so the
response time does not tell who has an account (bench/signup_timing.py measures the times)."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse

from apps.users.models import User
from tests.factories import PASSWORD, make_user, verify_for_log_in

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """Stands for the real (slow) hasher: what matters is how often it runs."""

    algorithm = "counting-md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counted(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def signup_work(client, capture, counted, email, username):
    """The hashes computed and the mails queued (the adapter's ``enqueue``) by one sign-up."""
    counted.calls = 0
    with mock.patch("apps.users.adapters.enqueue") as enqueue, capture(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD},
        )
    return response, counted.calls, [call.kwargs["kwargs"]["to"] for call in enqueue.call_args_list]


def test_both_paths_hash_once_and_queue_one_mail_the_same_way(
    client, counted, django_capture_on_commit_callbacks
):
    verify_for_log_in(make_user("ada"))  # ada@example.org, with a verified address
    capture = django_capture_on_commit_callbacks
    new = signup_work(client, capture, counted, "new@example.org", "new1")
    client.logout()
    taken = signup_work(
        client, django_capture_on_commit_callbacks, counted, "ada@example.org", "other"
    )
    (new_response, new_hashes, new_mail), (taken_response, taken_hashes, taken_mail) = new, taken
    assert new_response.status_code == taken_response.status_code == 302
    assert new_response["Location"] == taken_response["Location"]
    assert (new_hashes, taken_hashes) == (1, 1)
    assert (new_mail, taken_mail) == ([["new@example.org"]], [["ada@example.org"]])
    assert not User.objects.filter(username="other").exists()
