"""An anonymous vote click (a scraper, or an expired session) writes no session row: it is
answered with the log-in redirect, the pending paper vote rides in a signed cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.shortcuts import resolve_url

from apps.comments.services import comment_create
from apps.papers.models import Paper
from apps.votes.models import Vote
from tests.factories import PASSWORD, make_paper, make_user, verify_for_log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets():
    paper = make_paper()
    comment = comment_create(author=make_user(), paper=paper, body="A point")
    return {
        "paper": (f"/papers/{paper.arxiv_id}/vote", paper.get_absolute_url()),
        "comment": (f"/comments/{comment.pk}/vote", comment.get_absolute_url()),
    }


@pytest.mark.parametrize("kind", ["paper", "comment"])
@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_vote_click_creates_no_session_and_goes_to_log_in(client, targets, kind, htmx):
    url, page = targets[kind]
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"} if htmx else {}

    response = client.post(url, {"next": page}, headers=headers)

    target = urlsplit(response["HX-Redirect"] if htmx else response["Location"])
    assert response.status_code == (200 if htmx else 302)
    assert target.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(target.query)["next"] == [page]
    assert not Session.objects.exists()
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_the_pending_vote_is_applied_once_at_log_in_and_its_cookie_removed(client, targets):
    user = verify_for_log_in(make_user("ada"))
    url, page = targets["paper"]
    client.post(url, {"next": page})

    response = client.post(
        resolve_url(settings.LOGIN_URL), {"login": user.email, "password": PASSWORD, "next": page}
    )

    assert response.status_code == 302
    assert Vote.objects.filter(user=user).count() == 1
    # Used once: the cookie is gone, so taking the vote back and logging in again keeps it off.
    client.post(url)
    client.logout()
    client.post(
        resolve_url(settings.LOGIN_URL), {"login": user.email, "password": PASSWORD, "next": page}
    )
    assert not Vote.objects.filter(user=user).exists()


def test_a_forged_pending_vote_cookie_is_ignored(client, targets):
    user = verify_for_log_in(make_user("ada"))
    client.cookies["pending_vote"] = str(Paper.objects.get().pk)  # unsigned

    client.post(resolve_url(settings.LOGIN_URL), {"login": user.email, "password": PASSWORD})

    assert not Vote.objects.exists()
