"""Shared pages hold nothing per visitor: for someone not logged in, no CSRF token, no cookie,
no session and no database write, so one copy can serve everyone (apps.core.shared_cache).
Logged-in users keep their tokens and forms. Forms a visitor can use there fetch a token when
they are submitted (GET /csrf, static/js/csrf.js)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import Context, Template, engines
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django_htmx.middleware import HtmxDetails

from apps.comments.services import comment_create
from apps.core.navigation import login_url
from apps.core.shared_cache import is_shared_page, shared_page
from apps.digests.models import Subscription
from apps.digests.schedule import period_containing
from apps.digests.services import digest_freeze
from apps.ingestion.models import Announcement
from apps.moderation import services as moderation
from config.urls import urlpatterns as site_urls
from tests.factories import make_entry, make_user
from tests.moderation.conftest import make_member, make_moderator

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 26)
ARXIV_ID = "2411.01234"

# Every page the lead marks @shared_page, as a visitor reads it.
SHARED_URLS = [
    "/",
    "/papers",
    "/papers/date/2026-11-26",
    "/papers/week/2026-W48",
    "/papers/month/2026-11",
    "/papers/trending",
    f"/papers/{ARXIV_ID}",
    f"/papers/{ARXIV_ID}.md",
    "/papers/search?q=engine",
    "/api/daily_papers",
    f"/api/papers/{ARXIV_ID}",
    "/api/papers/search?q=engine",
    "/feeds/daily.rss",
    "/papers/new/2026-11-26",
    "/users/ada",
    "/moderation/log",
    "/digest/archive",
    "/digest/daily/2026-11-26",
]
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def site():
    """A day with a paper someone submitted and upvoted, a discussion with a hidden comment
    (so the moderation log has an entry), the day's announcement and its frozen digest."""
    ada = make_member("ada")
    entry = make_entry(
        day=DAY, arxiv_id=ARXIV_ID, title="Notes on the engine", submitted_by=ada, upvotes=3
    )
    other = make_entry(day=DAY, title="Another engine")
    comment = comment_create(author=make_member("alan"), paper=entry.paper, body="Nice $x^2$.")
    comment_create(author=ada, paper=entry.paper, body="Thanks.", parent=comment)
    rude = comment_create(author=make_member("rude"), paper=other.paper, body="Rude.")
    moderation.comment_hide(moderator=make_moderator("mod"), comment=rude, reason="Rude.")
    Announcement.objects.create(paper=entry.paper, day=DAY, kind="new")
    assert digest_freeze(frequency="daily", period=period_containing("daily", DAY))
    return {"ada": ada, "paper": entry.paper, "comment": comment}


class _Forms(HTMLParser):
    """The forms of a page: their attributes, and whether each holds a token field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.posting_elements: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(attributes)
        elif any(name in attributes for name in ("hx-post", "hx-put", "hx-patch", "hx-delete")):
            self.posting_elements.append({"tag": tag, **attributes})


def _forms(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


# --- The pages the lead marks -----------------------------------------------------------


@pytest.mark.parametrize("url", SHARED_URLS)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_visitor_reading_a_shared_page_leaves_no_trace(client, site, url, headers):
    """Fails first if the page's view is not decorated with @shared_page."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)

    assert response.status_code == 200, url
    assert is_shared_page(response.wsgi_request), f"{url}: its view is not @shared_page"
    assert not response.cookies, f"{url} set {list(response.cookies)}"
    assert not response.has_header("Set-Cookie")
    body = response.content.decode()
    for per_visitor in ("csrfmiddlewaretoken", "x-csrftoken"):
        assert per_visitor not in body, f"{url} shows {per_visitor}"
    writes = [query["sql"] for query in captured if WRITE.match(query["sql"])]
    assert writes == [], url
    assert not Session.objects.exists()
    # Nothing a visitor could post there without a token, except the forms that fetch one.
    forms = _forms(body)
    for form in forms.forms:
        if form.get("method", "get").lower() == "post" or "hx-post" in form:
            assert "data-lazy-csrf" in form, f"{url}: a form posts without a token: {form}"
    assert forms.posting_elements == [], url


def test_a_member_keeps_tokens_and_vote_forms(client, site):
    client.force_login(site["ada"])

    for url in ("/", f"/papers/{ARXIV_ID}"):
        response = client.get(url)
        html = response.content.decode()
        assert "csrfmiddlewaretoken" in html, url
        assert '"x-csrftoken": "' in html, url
        assert 'class="vote-form' in html, url
        assert "vote-login" not in html, url
        assert settings.CSRF_COOKIE_NAME in response.cookies, url
    assert 'class="comment-vote' in html  # the paper page: its discussion's buttons


# --- Vote buttons and the subscribe box for visitors ------------------------------------


def test_a_visitor_gets_log_in_links_drawn_as_vote_buttons(client, site):
    paper_page = client.get(f"/papers/{ARXIV_ID}").content.decode()
    day_page = client.get("/papers/date/2026-11-26?p=1").content.decode()

    pages = [(paper_page, f"/papers/{ARXIV_ID}"), (day_page, "/papers/date/2026-11-26?p=1")]
    for html, next_url in pages:
        assert 'class="vote-form' not in html
        links = re.findall(r'<a class="vote-button vote-login" href="([^"]+)"', html)
        assert links
        target = urlsplit(links[0].replace("&amp;", "&"))
        assert target.path == "/accounts/login/"
        assert parse_qs(target.query)["next"] == [next_url]
        assert "upvotes: Log in to upvote" in html
    assert '<span class="vote-count">3</span>' in paper_page
    assert paper_page.count('<span class="comment-vote"><a class="vote-login" href="') == 2


def test_a_comment_in_an_htmx_fragment_sends_a_visitor_back_to_its_permalink(rf, site):
    comment = site["comment"]
    request = rf.get(f"/comments/{comment.pk}/replies?after=9", HTTP_HX_REQUEST="true")
    request.user, request.htmx = AnonymousUser(), HtmxDetails(request)
    template = Template('{% include "votes/partials/vote_button.html#comment_vote" %}')

    html = template.render(Context({"comment": comment, "request": request}))

    assert f'href="{login_url(comment.get_absolute_url())}"' in html


def test_the_subscribe_box_gets_its_token_when_used(client, site):
    html = client.get("/").content.decode()

    forms = _forms(html).forms
    box = next(form for form in forms if "subscribe-box-form" in form.get("class", ""))
    assert box["method"] == "get"  # without JS: the /digest form, with the address in it
    assert box["action"] == "/digest"
    assert box["hx-post"] == "/digest/subscribe"
    assert box["data-lazy-csrf"] == "/csrf"
    assert 'src="/static/js/csrf.js"' in html


def test_the_digest_page_opens_with_the_address_typed_in_the_box(client):
    response = client.get("/digest?email=reader%40example.org&frequency=daily&time_zone=UTC")

    assert 'value="reader@example.org"' in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("email", ['"><script>alert(1)</script>', "not an address", "a" * 300])
def test_the_digest_page_prefills_only_an_address(client, email):
    html = client.get("/digest", {"email": email}).content.decode()

    assert "<script>alert" not in html
    assert not re.search(r'name="email"[^>]*value=', html)


# --- The token, fetched when a form is used ---------------------------------------------


@pytest.mark.usefixtures("celery_eager")
def test_the_token_from_csrf_lets_a_visitor_subscribe(
    mailoutbox, django_capture_on_commit_callbacks
):
    strict = Client(enforce_csrf_checks=True)
    subscribe = {"email": "reader@example.org", "frequency": "daily", "delivery_hour": "8"}
    subscribe["time_zone"] = "Europe/Paris"

    refused = strict.post("/digest/subscribe", subscribe, **HTMX)
    assert refused.status_code == 403

    response = strict.get("/csrf")
    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert "no-cache" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    token = response.json()["token"]

    with django_capture_on_commit_callbacks(execute=True):
        done = strict.post("/digest/subscribe", {**subscribe, "csrfmiddlewaretoken": token}, **HTMX)
    assert done.status_code == 200
    assert "Check your inbox" in done.content.decode()
    assert Subscription.objects.get().status == "pending"
    assert len(mailoutbox) == 1
    assert Client().post("/csrf").status_code == 405  # GET and HEAD only


# --- The mechanism, on views marked here -----------------------------------------------


FORM = (
    "{% extends 'base.html' %}"
    "{% block content %}<form method=post>{% csrf_token %}</form>{% endblock %}"
)


def _form_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(FORM).render({}, request))


@shared_page
def _shared_form_page(request: HttpRequest) -> HttpResponse:
    return _form_page(request)


# This module is the URLconf of the test below: two pages, and the site's (base.html links).
urlpatterns = [path("shared-form", _shared_form_page), path("form", _form_page), *site_urls]


@pytest.mark.urls(__name__)
def test_a_shared_page_renders_no_token_for_a_visitor_only(client):
    shared = client.get("/shared-form")
    assert "csrfmiddlewaretoken" not in shared.content.decode()
    assert "x-csrftoken" not in shared.content.decode()
    assert not shared.cookies

    # Not shared: the token, its header and its cookie, as before.
    other = client.get("/form")
    assert "csrfmiddlewaretoken" in other.content.decode()
    assert '"x-csrftoken": "' in other.content.decode()
    assert settings.CSRF_COOKIE_NAME in other.cookies

    client.force_login(make_user())
    member = client.get("/shared-form")
    assert "csrfmiddlewaretoken" in member.content.decode()
    assert '"x-csrftoken": "' in member.content.decode()
