"""Every paper listing draws the one card (partials/paper_card.html) and the one pager
(partials/pager.html); every page loads the one maths script."""

import datetime as dt

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory

from apps.comments.services import comment_create
from tests.factories import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 2, 9)
TITLE = "Bounds for $\\ell_p$ regression"
ABSTRACT = "We show $x^2$ " + "and more words " * 40


def _cards(html: str) -> int:
    return html.count('<article class="paper-card"')


def test_day_search_and_profile_draw_the_same_card_with_maths_marked(client):
    owner = make_user("ada")
    make_entry(day=DAY, arxiv_id="2602.00001", title=TITLE, abstract=ABSTRACT, submitted_by=owner)
    pages = {
        "day": client.get("/papers/date/2026-02-09").content.decode(),
        "search": client.get("/papers/search", {"q": "regression"}).content.decode(),
        "profile": client.get("/users/ada").content.decode(),
    }
    for name, html in pages.items():
        assert _cards(html) == 1, name
        assert '<h2 class="paper-title math" data-math-inline id="title-2602.00001">' in html, name
        # An excerpt of the abstract everywhere (search: the matches), never the whole of it.
        assert '<p class="paper-abstract math" data-math-inline>' in html, name
        assert ABSTRACT.strip() not in html, name
    assert "<mark>regression</mark>" in pages["search"]
    no_name = '<span class="user-name">@ada</span>'  # no display name: the handle alone
    assert f'Submitted by <a href="/users/ada">{no_name}</a>' in pages["day"]
    assert 'href="/papers/date/2026-02-09">on Feb 9</a>' in pages["profile"]


def test_the_similar_papers_list_uses_the_card_file():
    paper = make_paper(arxiv_id="2602.00002", title=TITLE, upvotes=3)
    html = render_to_string(
        "partials/paper_card.html#similar", {"paper": paper}, RequestFactory().get("/")
    )
    assert '<span class="math" data-math-inline><a href="/papers/2602.00002">' in html
    assert "3 upvotes" in html


def test_the_old_card_templates_are_gone():
    with pytest.raises(TemplateDoesNotExist):
        get_template("users/partials/paper_row.html")


def test_search_pager_keeps_the_query(client):
    for i in range(25):
        make_paper(arxiv_id=f"2401.{i:05d}", title=f"Paginated result {i}")
    html = client.get("/papers/search", {"q": "paginated"}).content.decode()
    assert '<nav class="pager" aria-label="Result pages">' in html
    assert 'rel="next" href="?q=paginated&amp;page=2"' in html
    second = client.get("/papers/search", {"q": "paginated", "page": "2"}).content.decode()
    assert 'rel="prev" href="?q=paginated&amp;page=1"' in second
    assert 'rel="next"' not in second


def test_period_pager_keeps_other_parameters_and_its_p(client):
    for i in range(55):
        make_entry(day=DAY, arxiv_id=f"2602.{i + 100:05d}", upvotes=i)
    html = client.get("/papers/date/2026-02-09", {"ref": "feed"}).content.decode()
    assert 'href="?ref=feed&amp;p=2" hx-get="?ref=feed&amp;p=2" hx-target="closest .pager"' in html
    second = client.get("/papers/date/2026-02-09", {"p": "2"}).content.decode()
    assert 'rel="prev" href="?p=1">← Higher ranked</a>' in second


def test_profile_and_notification_pagers_are_the_same_pager(client):
    owner = make_user("ada")
    for number in range(25):
        make_entry(day=DAY + dt.timedelta(days=number), submitted_by=owner)
    html = client.get("/users/ada").content.decode()
    assert '<nav class="pager" aria-label="Pages">' in html
    assert 'rel="next" href="?page=2">Older →</a>' in html

    paper = make_paper()
    parent = comment_create(author=owner, paper=paper, body="root")
    for _ in range(31):
        comment_create(author=make_user(), paper=paper, body="reply", parent=parent)
    client.force_login(owner)
    html = client.get("/notifications").content.decode()
    assert '<nav class="pager" aria-label="Pages">' in html
    assert 'rel="next" href="?page=2">Older →</a>' in html
    assert "pagination" not in html


@pytest.mark.parametrize("path", ["/papers/2602.00003", "/users/ada/comments", "/notifications"])
def test_every_page_loads_the_one_maths_script_once(client, path):
    owner = make_user("ada")
    make_entry(day=DAY, arxiv_id="2602.00003", title=TITLE)
    client.force_login(owner)
    html = client.get(path).content.decode()
    assert html.count('src="/static/js/math.js"') == 1
    assert "comments.js" not in html
