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
