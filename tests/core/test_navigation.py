"""Return addresses (``next``) from forms and htmx: only paths of this site, anything else
falls back to the page; nothing half-done (the vote is saved once, the answer is a redirect)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import RequestFactory
from django.urls import reverse

from apps.comments.services import comment_create
from apps.core.navigation import MAX_NEXT_LENGTH, safe_next_url
from apps.moderation import services as moderation_services
from apps.moderation.models import Flag
from apps.notifications.models import Notification
from apps.notifications.services import notification_moderation_send
from apps.votes.models import CommentVote, Vote
from tests.factories import PASSWORD, make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_member, make_moderator

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BAD_NEXT = [
    "back",
    "home",
    "papers:home",
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil",
    "javascript:alert(1)",
    "http://testserver@evil",
    "https://evil.com/",
    "%00",
    "/\x00",
    "/papers\r\nSet-Cookie: a=b",
    " /papers",
    "/" + "a" * (MAX_NEXT_LENGTH + 1),
    "x" * 10_000,
]


@pytest.mark.parametrize("value", BAD_NEXT)
def test_safe_next_url_falls_back_for_anything_but_a_path_of_this_site(value):
    request = RequestFactory().post("/papers/x/vote", {"next": value})
    request.htmx = False
    assert safe_next_url(request, "/fallback") == "/fallback"


@pytest.mark.parametrize("value", ["/", "/papers/date/2024-10-14?p=2#x", "/users/é"])
def test_safe_next_url_keeps_a_path_of_this_site(value):
    request = RequestFactory().post("/papers/x/vote", {"next": value})
    request.htmx = False
    assert safe_next_url(request, "/fallback") == value


@pytest.mark.parametrize("value", BAD_NEXT)
def test_paper_vote_with_a_bad_next_votes_once_and_goes_back_to_the_paper(client, value):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    response = client.post(f"/papers/{paper.arxiv_id}/vote", {"next": value})

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    assert Vote.objects.filter(user=user, paper=paper).count() == 1


@pytest.mark.parametrize("value", BAD_NEXT)
def test_comment_vote_with_a_bad_next_votes_once_and_goes_back_to_the_comment(client, value):
    user, paper = make_user(), make_paper()
    comment = comment_create(author=make_user(), paper=paper, body="A point")
    client.force_login(user)

    response = client.post(f"/comments/{comment.pk}/vote", {"next": value})

    assert response.status_code == 302
    assert response["Location"] == comment.get_absolute_url()
    assert CommentVote.objects.filter(user=user, comment=comment).count() == 1


@pytest.mark.parametrize("value", ["back", "//evil.com", "javascript:alert(1)"])
def test_anonymous_vote_with_a_bad_next_logs_in_back_to_the_paper(client, value):
    paper = make_paper()

    response = client.post(f"/papers/{paper.arxiv_id}/vote", {"next": value})

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(location.query)["next"] == [paper.get_absolute_url()]


@pytest.mark.parametrize("current", ["http://evil.com/x", "back", "http://testserver//evil"])
def test_htmx_vote_from_a_foreign_page_keeps_the_paper_as_next(client, current):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    html = client.post(
        f"/papers/{paper.arxiv_id}/vote", HTTP_HX_CURRENT_URL=current, **HTMX
    ).content.decode()

    assert f'name="next" value="{paper.get_absolute_url()}"' in html


@pytest.mark.parametrize("value", ["back", "//evil.com", "/\\evil"])
def test_moderation_decision_with_a_bad_next_goes_back_to_the_queue(client, value):
    paper = make_paper()
    moderation_services.flag_create(user=make_member(), item=paper, reason="off_topic")
    client.force_login(make_moderator())

    response = client.post(
        reverse("moderation:flags_dismiss", args=["paper", paper.pk]), {"next": value}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:flags")
    assert set(Flag.objects.values_list("resolution", flat=True)) == {"dismissed"}


@pytest.mark.parametrize("url", ["back", "//evil.com", "/\\evil"])
def test_notification_with_a_link_that_is_no_path_opens_the_list(client, url):
    user = make_user()
    notification_moderation_send(recipient=user, subject="Notice", message="Read me", url=url)
    notification = Notification.objects.get(recipient=user)
    client.force_login(user)

    response = client.post(reverse("notifications:read", args=[notification.pk]), {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize("value", ["back", "//evil.com", "javascript:alert(1)", "/\\evil"])
def test_log_in_and_log_out_with_a_bad_next_go_to_the_home_page(client, value):
    user = verify_for_log_in(make_user())
    login = resolve_url(settings.LOGIN_URL)

    response = client.post(login, {"login": user.email, "password": PASSWORD, "next": value})

    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.post(reverse("account_logout"), {"next": value})
    assert response.status_code == 302
    assert response["Location"] == "/"
