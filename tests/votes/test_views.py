import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from apps.votes.models import Vote
from apps.votes.services import VOTE_RATE
from tests.factories import PASSWORD, make_entry, make_paper, make_user, verify_for_log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = dt.date(2024, 10, 14)


def vote_url(paper):
    return f"/papers/{paper.arxiv_id}/vote"


def test_htmx_vote_returns_the_button_with_new_count_and_state(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    response = client.post(vote_url(paper), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="vote-form is-voted"')
    assert '<span class="vote-count">1</span>' in html
    assert 'aria-pressed="true"' in html
    assert "<html" not in html

    html = client.post(vote_url(paper), **HTMX).content.decode()
    assert '<span class="vote-count">0</span>' in html
    assert 'aria-pressed="false"' in html


def test_plain_form_post_votes_and_redirects_back_to_next(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    response = client.post(vote_url(paper), {"next": "/papers/date/2024-10-14?x=1"})

    assert response.status_code == 302
    assert response["Location"] == "/papers/date/2024-10-14?x=1"
    assert Vote.objects.filter(user=user, paper=paper).exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_unsafe_or_missing_next_redirects_to_the_paper(client, next_url):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    response = client.post(vote_url(paper), {"next": next_url})

    assert response["Location"] == paper.get_absolute_url()


def test_vote_needs_post_and_csrf(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)
    assert client.get(vote_url(paper)).status_code == 405

    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(vote_url(paper), **HTMX).status_code == 403
    assert not Vote.objects.exists()


def test_vote_on_unknown_paper_is_404(client):
    client.force_login(make_user())
    assert client.post("/papers/2410.99999/vote").status_code == 404


def _log_in(client, email: str) -> None:
    """Through the log-in form: the pending vote rides in a cookie the form's request carries
    (``client.login()`` builds a request without the client's cookies)."""
    response = client.post(resolve_url(settings.LOGIN_URL), {"login": email, "password": PASSWORD})
    assert response.status_code == 302


def test_anonymous_vote_goes_to_login_and_is_applied_after_login(client):
    paper = make_paper()
    make_entry(day=DAY, paper=paper)
    user = verify_for_log_in(make_user("carol"))

    response = client.post(vote_url(paper), {"next": "/papers/date/2024-10-14"})

    login_url = resolve_url(settings.LOGIN_URL)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == login_url
    assert parse_qs(location.query)["next"] == ["/papers/date/2024-10-14"]
    assert not Vote.objects.exists()

    _log_in(client, user.email)

    paper.refresh_from_db()
    assert paper.upvotes_count == 1
    assert Vote.objects.filter(user=user, paper=paper).exists()
    page = client.get("/papers/date/2024-10-14").content.decode()
    assert 'class="vote-form is-voted"' in page
    # The pending vote is used once: logging in again does not toggle it off.
    client.logout()
    _log_in(client, user.email)
    assert Vote.objects.filter(user=user, paper=paper).exists()


def test_anonymous_htmx_vote_gets_a_client_redirect_to_login(client):
    paper = make_paper()

    response = client.post(
        vote_url(paper), HTTP_HX_CURRENT_URL="http://testserver/papers/date/2024-10-14", **HTMX
    )

    assert response.status_code == 200
    target = urlsplit(response["HX-Redirect"])
    assert target.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(target.query)["next"] == ["/papers/date/2024-10-14"]


def test_pending_vote_keeps_an_existing_vote(client):
    user, paper = verify_for_log_in(make_user()), make_paper()
    Vote.objects.create(user=user, paper=paper)
    client.post(vote_url(paper))

    _log_in(client, user.email)

    assert Vote.objects.filter(user=user, paper=paper).count() == 1


def test_banned_user_session_ends_and_the_vote_is_refused(client):
    user, paper = make_user(is_banned=True), make_paper()
    client.force_login(user)

    response = client.post(vote_url(paper), **HTMX)

    # A ban ends the session (accounts middleware): the click is an anonymous one now.
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(resolve_url(settings.LOGIN_URL))
    assert client.post(vote_url(paper)).status_code == 302
    assert not Vote.objects.exists()


def test_too_many_votes_get_429_with_a_clear_message(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)
    for _ in range(VOTE_RATE.limit):
        client.post(vote_url(paper), **HTMX)

    response = client.post(vote_url(paper), **HTMX)

    assert response.status_code == 429
    assert "voting too fast" in response.content.decode()
    assert client.post(vote_url(paper)).status_code == 429


def test_day_page_shows_vote_state_with_constant_queries(client, django_assert_max_num_queries):
    user = make_user()
    client.force_login(user)

    def page_queries(count):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            html = client.get("/papers/date/2024-10-14").content.decode()
        assert html.count('class="vote-form') == count
        return len(captured)

    first = make_entry(day=DAY)
    client.post(vote_url(first.paper))
    small = page_queries(1)
    for _ in range(12):
        entry = make_entry(day=DAY)
        client.post(vote_url(entry.paper))
    with django_assert_max_num_queries(small):
        html = client.get("/papers/date/2024-10-14").content.decode()
    assert html.count('class="vote-form is-voted"') == 13
    assert page_queries(13) == small


def test_paper_page_has_the_vote_button(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)
    client.post(vote_url(paper))

    html = client.get(paper.get_absolute_url()).content.decode()

    assert 'class="vote-form is-voted"' in html
    assert f'action="/papers/{paper.arxiv_id}/vote"' in html


def test_list_without_a_batch_still_asks_once_per_page(rf, django_assert_num_queries):
    from django.template import Context, Template

    user = make_user()
    papers = [make_paper() for _ in range(8)]
    Vote.objects.create(user=user, paper=papers[3])
    request = rf.get("/papers/trending")
    request.user = user
    template = Template(
        "{% for paper in papers %}"
        '{% include "votes/partials/vote_button.html#paper_vote" %}'
        "{% endfor %}"
    )

    with django_assert_num_queries(1):
        html = template.render(Context({"papers": papers, "request": request}))

    assert html.count('class="vote-form is-voted"') == 1
    assert html.count('class="vote-form"') == 7


def test_htmx_button_keeps_the_page_it_was_on_as_next(client):
    user, paper = make_user(), make_paper()
    client.force_login(user)

    html = client.post(
        vote_url(paper), HTTP_HX_CURRENT_URL="http://testserver/papers/date/2024-10-14", **HTMX
    ).content.decode()

    assert 'name="next" value="/papers/date/2024-10-14"' in html


def test_pending_vote_is_applied_through_a_real_login_form(client):
    """The admin log-in form stands in for any form that calls Django's ``login()``."""
    paper = make_paper()
    user = make_user("dora", is_staff=True)
    user.set_password("correct horse battery")
    user.save()
    client.post(vote_url(paper), {"next": paper.get_absolute_url()})

    response = client.post(
        "/admin/login/",
        {
            "username": "dora",
            "password": "correct horse battery",
            "next": paper.get_absolute_url(),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    assert Vote.objects.filter(user=user, paper=paper).exists()
