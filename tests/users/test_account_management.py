"""Password reset, email change and account deletion."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.papers.models import AuthorClaim, DailyEntry
from apps.users.models import User
from apps.users.services import user_delete
from apps.users.signals import user_deleting
from tests.factories import PASSWORD, make_entry, make_paper
from tests.users.conftest import links_in, path_of, reauthenticate

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new secret phrase"


def test_password_reset_by_mailed_link(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": verified_user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = path_of(next(u for u in links_in(mailoutbox[0]) if "/password/reset/key/" in u))
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    verified_user.refresh_from_db()
    assert verified_user.check_password(NEW_PASSWORD)
    assert not verified_user.check_password(PASSWORD)


def test_password_reset_does_not_reveal_whether_an_account_exists(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": verified_user.email})
        unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # The unknown address is told, in its own mailbox, that it has no account here.
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ada@example.org",
        "nobody@example.org",
    ]


def test_password_reset_requests_are_rate_limited(client, verified_user):
    for _ in range(3):
        client.post(reverse("account_reset_password"), {"email": verified_user.email})
    response = client.post(reverse("account_reset_password"), {"email": verified_user.email})
    assert response.status_code == 429


def test_email_change_takes_effect_once_the_new_address_is_verified(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(verified_user)
    reauthenticate(client)
    page = client.get(reverse("account_email"))
    assert page.status_code == 200
    assert 'class="settings-nav"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_email"), {"action_add": "", "email": "ada@newlab.example"}
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@newlab.example"]
    verified_user.refresh_from_db()
    assert verified_user.email == "ada@example.org"  # not until verified

    confirm = path_of(next(u for u in links_in(mailoutbox[0]) if "/confirm-email/" in u))
    assert client.post(confirm).status_code == 302
    verified_user.refresh_from_db()
    assert verified_user.email == "ada@newlab.example"
    assert list(
        EmailAddress.objects.filter(user=verified_user).values_list("email", flat=True)
    ) == ["ada@newlab.example"]


def test_account_deletion_needs_the_handle_typed(client, verified_user):
    client.force_login(verified_user)
    reauthenticate(client)
    response = client.post(reverse("users:delete"), {"confirm_username": "someone-else"})
    assert response.status_code == 400
    assert "not your username" in response.content.decode()
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_account_deletion_removes_the_account_and_keeps_submissions_anonymous(
    client, verified_user
):
    entry = make_entry(day=dt.date(2024, 10, 2), submitted_by=verified_user)
    client.force_login(verified_user)
    reauthenticate(client)
    response = client.post(reverse("users:delete"), {"confirm_username": "ADA"})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(pk=verified_user.pk).exists()
    assert not EmailAddress.objects.filter(email=verified_user.email).exists()
    assert DailyEntry.objects.get(pk=entry.pk).submitted_by is None
    assert client.get("/users/ada").status_code == 404


def test_user_delete_lets_other_apps_clean_up_first_in_the_same_transaction(verified_user):
    user_pk = verified_user.pk
    AuthorClaim.objects.create(user=verified_user, authorship=make_paper().authorships.first())
    seen = []

    def receiver(sender, user, **kwargs):
        # Still there to read: e.g. the votes app finds the user's votes here.
        seen.append((user.pk, User.objects.filter(pk=user.pk).exists()))

    user_deleting.connect(receiver)
    try:
        user_delete(user=verified_user)
    finally:
        user_deleting.disconnect(receiver)
    assert seen == [(user_pk, True)]
    assert not AuthorClaim.objects.exists()


def test_user_delete_is_undone_when_a_receiver_fails(verified_user):
    def receiver(sender, user, **kwargs):
        raise RuntimeError("votes could not be removed")

    user_deleting.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            user_delete(user=verified_user)
    finally:
        user_deleting.disconnect(receiver)
    assert User.objects.filter(pk=verified_user.pk).exists()


def test_account_deletion_ends_the_users_other_sessions(client, verified_user):
    other_browser = client.__class__()
    other_browser.force_login(verified_user)
    client.force_login(verified_user)
    reauthenticate(client)
    client.post(reverse("users:delete"), {"confirm_username": "ada"})
    assert not other_browser.get("/").wsgi_request.user.is_authenticated


def test_account_deletion_page_requires_login(client):
    response = client.post(reverse("users:delete"), {"confirm_username": "ada"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_account_deletion_removes_votes_keeps_comments_and_counts_stay_true(client, verified_user):
    from apps.comments.models import Comment
    from apps.comments.services import comment_create
    from apps.votes.models import Vote
    from apps.votes.services import vote_toggle
    from tests.factories import make_user

    paper = make_paper()
    other = make_user("other")
    for voter in (verified_user, other):
        vote_toggle(user=voter, item=paper)
    comment = comment_create(author=verified_user, paper=paper, body="Nice result, $x^2$.")
    reply = comment_create(author=other, paper=paper, body="Agreed.", parent=comment)
    vote_toggle(user=verified_user, item=reply)
    vote_toggle(user=other, item=reply)

    user_delete(user=verified_user)

    paper.refresh_from_db()
    reply.refresh_from_db()
    assert paper.upvotes_count == Vote.objects.filter(paper=paper).count() == 1
    assert reply.upvotes_count == 1
    kept = Comment.objects.get(pk=comment.pk)
    assert kept.author is None
    assert "$x^2$" in kept.body
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "[deleted user]" in html
