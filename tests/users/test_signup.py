"""Sign-up by email, verification by link, log-in, and the handle rules."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.users.models import User
from tests.factories import PASSWORD, make_user
from tests.users.conftest import links_in, path_of

pytestmark = pytest.mark.django_db


def signup(client, capture, *, email="grace@example.org", username="grace", password=PASSWORD):
    with capture(execute=True):
        return client.post(
            reverse("account_signup"),
            {"email": email, "username": username, "password1": password, "password2": password},
        )


def test_signup_sends_verification_mail_and_link_verifies_then_login_works(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(username="grace")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["grace@example.org"]
    assert message.subject.startswith("[Paperboard]")
    assert "Hello from Paperboard!" in message.body
    # Not verified yet: logging in only re-sends the link.
    other = client.__class__()
    response = other.post(
        reverse("account_login"), {"login": "grace@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in other.session

    confirm_url = path_of(next(link for link in links_in(message) if "/confirm-email/" in link))
    assert client.get(confirm_url).status_code == 200  # a page with a POST button, not GET-confirms
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    # Confirming in the browser that signed up logs in there (LOGIN_ON_EMAIL_CONFIRMATION).
    assert int(client.session["_auth_user_id"]) == user.pk

    fresh = client.__class__()
    response = fresh.post(
        reverse("account_login"), {"login": "GRACE@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert int(fresh.session["_auth_user_id"]) == user.pk


def test_signup_page_is_styled_in_site_layout(client):
    response = client.get(reverse("account_signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in html
    assert 'class="form-card' in html
    assert 'name="username"' in html
    assert "3 to 30 letters, digits, hyphens or underscores" in html


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("admin", "reserved"),
        ("Moderation", "reserved"),
        ("API", "reserved"),
        ("feeds", "reserved"),
        ("healthz", "reserved"),
        ("ab", "at least 3"),
        ("x" * 31, "at most 30"),
        ("has space", "letters, digits"),
        ("dot.name", "letters, digits"),
        ("-dash", "letters, digits"),
        ("ünïcode", "letters, digits"),
    ],
)
def test_signup_refuses_bad_handles_with_a_clear_error(client, username, error):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.org",
            "username": username,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not User.objects.filter(email="x@example.org").exists()


def test_signup_refuses_handle_taken_in_another_letter_case(client):
    make_user("Grace")
    response = client.post(
        reverse("account_signup"),
        {
            "email": "g2@example.org",
            "username": "grace",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "already" in response.content.decode()
    assert User.objects.filter(username__iexact="grace").count() == 1


def test_signup_accepts_a_good_handle(client, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks, username="Grace_Hopper-2")
    assert response.status_code == 302
    assert User.objects.filter(username="Grace_Hopper-2").exists()


def test_signup_with_existing_email_does_not_reveal_the_account(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks, email=verified_user.email)
    # Same answer as for a new address; the owner gets a mail instead of the form an error.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.filter(email=verified_user.email).count() == 1
    assert [message.to for message in mailoutbox] == [[verified_user.email]]
