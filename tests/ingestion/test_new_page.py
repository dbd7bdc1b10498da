"""The New page: every paper arXiv announced on a day, by tab and category."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.ingestion.models import Announcement
from apps.papers.models import Paper
from tests.factories import make_entry, make_paper, make_user, verify_for_log_in

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 27)


def announce(paper: Paper, kind: str = "new", day: dt.date = DAY, categories=("cs.LG",)):
    Paper.objects.filter(pk=paper.pk).update(
        categories=list(categories), primary_category=categories[0]
    )
    return Announcement.objects.create(paper=paper, day=day, kind=kind)


def new_url(day: dt.date = DAY, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("ingestion:new_day", args=[day]) + (f"?{query}" if query else "")


def test_lists_the_days_new_papers_in_arxiv_order_with_tab_counts(client):
    second = make_paper(arxiv_id="2411.00002", title="Second paper")
    first = make_paper(arxiv_id="2411.00001", title="First paper")
    announce(second)
    announce(first)
    announce(make_paper(arxiv_id="2411.00003", title="Crossed over"), kind="cross")
    announce(make_paper(arxiv_id="2401.00004", title="Replaced one"), kind="replace-cross")
    announce(make_paper(arxiv_id="2411.00005", title="Other day"), day=DAY - dt.timedelta(1))

    html = client.get(new_url()).content.decode()
    assert html.index("First paper") < html.index("Second paper")
    assert "Crossed over" not in html
    assert "Other day" not in html
    assert "New (2)" in html
    assert "Cross-lists (1)" in html
    assert "Replacements (1)" in html
    replaced = client.get(new_url(type="replace")).content.decode()
    assert "Replaced one" in replaced
    assert "First paper" not in replaced


def test_filters_by_category(client):
    announce(make_paper(title="Learning paper"), categories=("cs.LG", "stat.ML"))
    announce(make_paper(title="Vision paper"), categories=("cs.CV",))
    html = client.get(new_url(category="stat.ML")).content.decode()
    assert "Learning paper" in html
    assert "Vision paper" not in html
    assert "New (1)" in html


@pytest.mark.parametrize(
    "params", [{"category": "<script>"}, {"type": "everything"}, {"category": "x" * 200}]
)
def test_bad_filters_are_a_clear_400(client, params):
    response = client.get(new_url(**params))
    assert response.status_code == 400
    assert b"<script>" not in response.content


def test_latest_redirects_to_the_latest_announcement_and_keeps_filters(client):
    announce(make_paper(), day=DAY)
    announce(make_paper(), day=DAY - dt.timedelta(days=3))
    response = client.get(reverse("ingestion:new_latest") + "?category=cs.LG")
    assert response.status_code == 302
    assert response["Location"] == new_url(category="cs.LG")


def test_before_any_ingest_it_says_how_to_get_papers(client):
    response = client.get(reverse("ingestion:new_latest"))
    assert response.status_code == 200
    assert b"ingest_arxiv" in response.content


def test_previous_and_next_days_skip_days_without_announcements(client):
    announce(make_paper(), day=DAY - dt.timedelta(days=3))
    announce(make_paper(), day=DAY)
    announce(make_paper(), day=DAY + dt.timedelta(days=4))
    html = client.get(new_url()).content.decode()
    assert new_url(DAY - dt.timedelta(days=3)) in html
    assert new_url(DAY + dt.timedelta(days=4)) in html


def test_readers_can_vote_and_members_can_submit_unfeatured_papers(client):
    featured = make_paper(title="Featured already")
    make_entry(day=DAY, paper=featured)
    announce(featured)
    announce(make_paper(arxiv_id="2411.09999", title="Not featured"))
    client.force_login(verify_for_log_in(make_user()))
    html = client.get(new_url()).content.decode()
    assert html.count('name="text" value="2411.09999"') == 1
    assert reverse("votes:paper", args=[featured.arxiv_id]) in html
    assert html.count("Submit to today") == 1


def test_query_count_is_constant(client, django_assert_max_num_queries):
    for n in range(60):
        announce(make_paper(arxiv_id=f"2411.{n:05d}"))
    client.force_login(make_user())
    with django_assert_max_num_queries(12):
        response = client.get(new_url())
    assert response.content.decode().count('class="paper-card"') == 50
    with django_assert_max_num_queries(12):
        page_two = client.get(new_url(p=2), headers={"HX-Request": "true"})
    assert page_two.content.decode().count('class="paper-card"') == 10
