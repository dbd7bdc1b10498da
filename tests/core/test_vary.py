"""Every response that differs for htmx requests says so the same way: ``Vary: HX-Request``,
on the fragment and on the full page alike, so no cache serves one in place of the other."""

import datetime as dt

import pytest
from django.utils.cache import has_vary_header

from apps.comments.services import comment_create
from apps.notifications.models import Notification
from tests.factories import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def site(client):
    """A paper on a day with a reply to a comment (so its author has a notification)."""
    author, replier = make_user("ada"), make_user("alan")
    paper = make_paper(arxiv_id="2410.09692")
    make_entry(paper=paper, day=dt.date(2026, 11, 26))
    comment = comment_create(author=author, paper=paper, body="first")
    reply = comment_create(author=replier, paper=paper, body="second", parent=comment)
    client.force_login(author)
    return {
        "paper": paper,
        "comment": comment,
        "reply": reply,
        "notification": Notification.objects.get(recipient=author),
    }


def _requests(site) -> list[tuple[str, str, dict]]:
    paper, comment, reply = site["paper"], site["comment"], site["reply"]
    return [
        ("get", "/", {}),
        ("get", "/papers/date/2026-11-26", {}),
        ("get", "/papers/week/2026-W48", {}),
        ("get", "/papers/month/2026-11", {}),
        ("get", "/users/ada", {}),
        ("get", "/users/ada/comments", {}),
        ("get", f"/papers/{paper.arxiv_id}/comments?sort=new", {}),
        ("post", f"/papers/{paper.arxiv_id}/comments", {"body": "third"}),
        ("get", f"/comments/{comment.pk}/reply", {}),
        ("get", f"/comments/{comment.pk}/edit", {}),
        ("post", f"/papers/{paper.arxiv_id}/vote", {}),
        ("post", f"/comments/{reply.pk}/vote", {}),
        ("post", f"/notifications/{site['notification'].pk}/read", {}),
        ("post", "/notifications/read-all", {}),
        ("post", f"/comments/{comment.pk}/delete", {}),
    ]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_views_that_answer_htmx_differently_vary_on_hx_request(client, site, headers):
    for method, url, data in _requests(site):
        response = getattr(client, method)(url, data, **headers)
        assert response.status_code < 500, url
        assert has_vary_header(response, "HX-Request"), f"{method.upper()} {url}"
