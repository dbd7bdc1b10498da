"""The notifications page with htmx: the header's bell follows, and opening one marks it read."""

import re

import pytest

from apps.comments.services import comment_create
from apps.notifications.models import Notification
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def inbox(client):
    """Ada, logged in, with two unread notifications (a reply and a mention)."""
    paper = make_paper(arxiv_id="2410.09692", title="Bounds for $\\ell_p$ regression")
    ada, alan, grace = make_user("ada"), make_user("alan"), make_user("grace")
    parent = comment_create(author=ada, paper=paper, body="A first thought")
    comment_create(author=alan, paper=paper, body="A reply", parent=parent)
    comment_create(author=grace, paper=paper, body="Hey @ada")
    client.force_login(ada)
    return ada, list(Notification.objects.filter(recipient=ada).order_by("pk"))


def oob_bell(html: str) -> str:
    match = re.search(r'<a id="header-bell"[^>]*hx-swap-oob="true">.*?</a>', html, re.S)
    assert match, "no out-of-band bell in the response"
    return match.group()


def test_the_header_bell_has_an_id_to_be_replaced_by(client, inbox):
    html = client.get("/notifications").content.decode()
    assert '<a id="header-bell" class="notification-bell has-unread"' in html
    assert "hx-swap-oob" not in html


def test_mark_as_read_sends_the_bell_with_the_new_count(client, inbox):
    _ada, (first, _second) = inbox

    response = client.post(f"/notifications/{first.pk}/read", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="notification-{first.pk}" class="notification">')
    assert '<span class="badge">1</span>' in oob_bell(html)


def test_mark_all_read_sends_the_list_and_a_bell_without_a_badge(client, inbox):
    response = client.post("/notifications/read-all", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="notifications">')
    assert "Marked 2 notifications read." in html
    assert "is-unread" not in html
    bell = oob_bell(html)
    assert "badge" not in bell
    assert "has-unread" not in bell
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    # Without htmx: back to the list, the message shown there.
    followed = client.post("/notifications/read-all", follow=True).content.decode()
    assert "Marked 0 notifications read." in followed


@pytest.mark.usefixtures("inbox")
def test_mark_all_read_rerenders_the_page_the_reader_is_on(client):
    from apps.notifications import views

    paper = make_paper()
    for _ in range(views.PAGE_SIZE):
        comment_create(author=make_user(), paper=paper, body="@ada again")
    html = client.post("/notifications/read-all?page=2", **HTMX).content.decode()
    assert "Page 2 of 2" in html
    assert html.count('class="notification"') == 2


def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(client, inbox):
    _ada, (first, second) = inbox
    page = client.get("/notifications").content.decode()
    # The title is a button of a POST form (see the view), typeset like other titles.
    assert f'<button type="submit" form="open-{first.pk}" class="link-button math"' in page
    assert f'<form id="open-{first.pk}" method="post" action="/notifications/{first.pk}/read">' in (
        page
    )

    response = client.post(f"/notifications/{first.pk}/read", {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/papers/2410.09692/comments/{first.comment_id}"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    # Opening it again (back button, a second click) changes nothing and still gets there.
    read_at = first.read_at
    assert client.post(f"/notifications/{first.pk}/read", {"open": "1"}).status_code == 302
    first.refresh_from_db()
    assert first.read_at == read_at


def test_someone_elses_notification_does_not_open(client, inbox):
    _ada, (first, _second) = inbox
    client.force_login(make_user("mallory"))

    response = client.post(f"/notifications/{first.pk}/read", {"open": "1"})

    assert response.status_code == 404
    first.refresh_from_db()
    assert first.read_at is None


def test_opening_is_a_post_only(client, inbox):
    _ada, (first, _second) = inbox
    assert client.get(f"/notifications/{first.pk}/read", {"open": "1"}).status_code == 405
    first.refresh_from_db()
    assert first.read_at is None


# --- Moderation notices: no comment, their own subject, message and link ------------------


def moderation_notice(user, *, url: str = "") -> Notification:
    from apps.notifications.services import notification_moderation_send

    return notification_moderation_send(
        recipient=user,
        subject="Your comment on 2410.09692 was removed",
        message="A moderator removed your comment.\n\nReason given by the moderator: <b>Spam</b>.",
        url=url,
    )


def test_moderation_notices_render_with_their_subject_message_and_link(client):
    ada = make_user("ada")
    linked = moderation_notice(ada, url="/papers/2410.09692/comments/7")
    unlinked = moderation_notice(ada)
    client.force_login(ada)

    html = client.get("/notifications").content.decode()

    assert html.count("Your comment on 2410.09692 was removed") == 2
    # Line breaks kept, the text escaped.
    assert "<p>A moderator removed your comment.</p>" in html
    assert "<p>Reason given by the moderator: &lt;b&gt;Spam&lt;/b&gt;.</p>" in html
    assert f'<button type="submit" form="open-{linked.pk}"' in html
    assert f'<form id="open-{linked.pk}"' in html
    assert f'form="open-{unlinked.pk}"' not in html  # nothing to open
    assert "Someone" not in html


def test_opening_a_moderation_notice_goes_to_its_link_or_the_list(client):
    ada = make_user("ada")
    linked = moderation_notice(ada, url="/papers/2410.09692/comments/7")
    unlinked = moderation_notice(ada)
    elsewhere = moderation_notice(ada, url="https://evil.example/phish")
    client.force_login(ada)

    for notice, location in [
        (linked, "/papers/2410.09692/comments/7"),
        (unlinked, "/notifications"),
        (elsewhere, "/notifications"),
    ]:
        response = client.post(f"/notifications/{notice.pk}/read", {"open": "1"})
        assert response.status_code == 302
        assert response["Location"] == location
        notice.refresh_from_db()
        assert notice.read_at is not None


def test_marking_a_moderation_notice_read_in_place(client):
    ada = make_user("ada")
    notice = moderation_notice(ada)
    client.force_login(ada)

    response = client.post(f"/notifications/{notice.pk}/read", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="notification-{notice.pk}" class="notification">')
    assert "Your comment on 2410.09692 was removed" in html


def test_the_settings_page_has_the_moderation_email_choice(client):
    ada = make_user("ada")
    client.force_login(ada)
    html = client.get("/notifications/settings").content.decode()
    assert 'name="email_on_moderation"' in html
    assert "Email me when a moderator acts on my account or what I posted" in html

    response = client.post("/notifications/settings", {"email_on_reply": "on"})

    assert response.status_code == 302
    assert ada.notification_preference.email_on_moderation is False
