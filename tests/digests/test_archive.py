"""The digest on the web: /digest/preview, /digest/archive and the stable digest pages."""

import datetime as dt
import html as html_lib
import re

import pytest
from django.utils import timezone

from apps.digests.models import Delivery, Digest, Frequency, Subscription
from apps.digests.schedule import period_containing
from apps.digests.services import digest_freeze
from apps.papers.models import Paper
from apps.votes.models import Vote
from tests.factories import add_votes, make_entry, make_user

pytestmark = pytest.mark.django_db

PREVIEW = "/digest/preview"
ARCHIVE = "/digest/archive"
TODAY = timezone.now().date()
YESTERDAY = TODAY - dt.timedelta(days=1)


def paper_on(day, title, *, upvotes=0, authors=None, abstract="We study things."):
    return make_entry(
        day=day, title=title, upvotes=upvotes, abstract=abstract, authors=authors or [title]
    ).paper


def freeze(frequency, day):
    return digest_freeze(frequency=frequency, period=period_containing(frequency, day))


def email_in(response) -> str:
    """The email HTML the preview page shows in its frame."""
    match = re.search(r'srcdoc="([^"]*)"', response.content.decode())
    assert match, "no email in the page"
    return html_lib.unescape(match.group(1))


def counts():
    return (
        Digest.objects.count(),
        Delivery.objects.count(),
        Subscription.objects.count(),
        Vote.objects.count(),
        Paper.objects.count(),
    )


# --- Preview --------------------------------------------------------------------------------


def test_a_visitor_previews_the_latest_finished_day_without_anything_written(client):
    paper_on(YESTERDAY, "Yesterday's best", upvotes=5)
    paper_on(YESTERDAY, "Yesterday's second", upvotes=1)
    paper_on(TODAY, "Still being voted on", upvotes=9)
    before = counts()

    response = client.get(PREVIEW)

    assert response.status_code == 200
    assert counts() == before  # nothing frozen, nothing written
    assert not response.cookies
    email = email_in(response)
    assert "Yesterday's best" in email
    assert email.index("Yesterday's best") < email.index("Yesterday's second")
    assert "Still being voted on" not in email
    assert "For you" not in email
    assert "This is a preview of the daily digest" in email
    assert "@media (prefers-color-scheme: dark)" in email


def test_the_preview_shows_the_running_day_when_no_day_is_finished(client):
    paper_on(TODAY, "The only paper", upvotes=1)

    assert "The only paper" in email_in(client.get(PREVIEW))


def test_an_account_holder_sees_their_greeting_and_for_you_part(client):
    user = make_user(display_name="Grace")
    seed = paper_on(YESTERDAY - dt.timedelta(days=2), "Video diffusion models for generation")
    related = paper_on(YESTERDAY - dt.timedelta(days=1), "Faster video diffusion sampling")
    paper_on(YESTERDAY - dt.timedelta(days=1), "Protein folding with graph networks")
    paper_on(YESTERDAY - dt.timedelta(days=1), "Tax records of medieval Flanders")
    paper_on(YESTERDAY, "The top paper", upvotes=4)
    Vote.objects.create(user=user, paper=seed)
    client.force_login(user)
    before = counts()

    response = client.get(PREVIEW)

    assert response.status_code == 200
    assert counts() == before
    email = email_in(response)
    assert "Hi Grace," in email
    assert ">For you</h2>" in email
    assert related.title in email
    assert "Because you upvoted “Video diffusion models for generation”" in email
    assert "with your “For you” part" in response.content.decode()


def test_a_subscriber_previews_their_frequency_and_their_own_footer(client):
    user = make_user()
    subscription = Subscription.objects.create(
        email=user.email,
        user=user,
        status=Subscription.Status.ACTIVE,
        frequency=Frequency.WEEKLY,
    )
    last_week = TODAY - dt.timedelta(days=7)
    paper_on(last_week, "Last week's paper", upvotes=2)
    client.force_login(user)

    email = email_in(client.get(PREVIEW))
    assert "This week's top papers" in email
    assert "Last week's paper" in email
    assert f"/digest/unsubscribe/{subscription.token}" in email

    daily = email_in(client.get(PREVIEW, {"frequency": "daily"}))
    assert "Top papers of" in daily
    assert subscription.token not in daily  # not the digest this subscription gets


def test_frequency_switches_the_preview_and_a_bad_one_is_a_400(client):
    paper_on(YESTERDAY, "A paper", upvotes=1)

    weekly = client.get(PREVIEW, {"frequency": "weekly"})
    assert weekly.status_code == 200
    assert "This week's top papers" in email_in(weekly)

    bad = client.get(PREVIEW, {"frequency": "hourly"})
    assert bad.status_code == 400
    assert "“hourly” is not a digest frequency" in bad.content.decode()
    assert not bad.cookies


def test_a_frozen_digest_is_previewed_as_it_was_sent(client):
    first = paper_on(YESTERDAY, "First when frozen", upvotes=5)
    paper_on(YESTERDAY, "Second when frozen", upvotes=3)
    freeze(Frequency.DAILY, YESTERDAY)
    late = paper_on(YESTERDAY, "Upvoted after sending", upvotes=0)
    add_votes(late, 10)

    email = email_in(client.get(PREVIEW))

    assert first.title in email
    assert late.title not in email


def test_with_no_papers_the_preview_says_so(client):
    response = client.get(PREVIEW)

    assert response.status_code == 200
    assert "There are no papers yet" in response.content.decode()
    assert "srcdoc" not in response.content.decode()


def test_preview_and_archive_take_no_post(client):
    assert client.post(PREVIEW).status_code == 405
    assert client.post(ARCHIVE).status_code == 405


# --- Archive and stable pages ----------------------------------------------------------------


def test_the_archive_lists_past_digests_newest_first_with_their_links(client):
    days = [dt.date(2026, 11, 20), dt.date(2026, 11, 26), dt.date(2026, 11, 27)]
    for day in days:
        paper_on(day, f"Paper of {day}", upvotes=1)
        freeze(Frequency.DAILY, day)
    freeze(Frequency.WEEKLY, days[0])

    page = client.get(ARCHIVE).content.decode()

    links = re.findall(r'href="(/digest/(?:daily|weekly)/[^"]+)"', page)
    assert links == [
        "/digest/daily/2026-11-27",
        "/digest/daily/2026-11-26",
        "/digest/daily/2026-11-20",
        "/digest/weekly/2026-W47",
    ]
    assert "Week 47, 2026 (Nov 16\N{EN DASH}22)" in page
    assert "Friday, November 27, 2026" in page

    weekly = client.get(ARCHIVE, {"frequency": "weekly"}).content.decode()
    assert re.findall(r'href="(/digest/(?:daily|weekly)/[^"]+)"', weekly) == [
        "/digest/weekly/2026-W47"
    ]


def test_the_archive_is_paged_and_rejects_a_bad_frequency(client):
    start = dt.date(2026, 1, 1)
    Digest.objects.bulk_create(
        Digest(
            frequency=Frequency.DAILY,
            period_start=start + dt.timedelta(days=i),
            period_end=start + dt.timedelta(days=i),
            paper_ids=[1],
        )
        for i in range(35)
    )

    first = client.get(ARCHIVE).content.decode()
    second = client.get(ARCHIVE, {"page": "2"}).content.decode()
    assert "/digest/daily/2026-02-04" in first
    assert "/digest/daily/2026-01-01" not in first
    assert "/digest/daily/2026-01-01" in second
    assert "Page 2 of 2" in second
    assert client.get(ARCHIVE, {"page": "nonsense"}).status_code == 200

    bad = client.get(ARCHIVE, {"frequency": "monthly"})
    assert bad.status_code == 400
    assert "“monthly” is not a digest frequency" in bad.content.decode()


def test_the_stable_page_keeps_the_frozen_order_after_votes_change_the_ranking(client):
    day = dt.date(2026, 11, 26)
    first = paper_on(day, "Ranked first when sent", upvotes=5)
    second = paper_on(day, "Ranked second when sent", upvotes=3)
    digest = freeze(Frequency.DAILY, day)
    add_votes(second, 20)
    newcomer = paper_on(day, "Arrived after sending", upvotes=50)

    response = client.get(f"/digest/daily/{day}")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(first.title) < page.index(second.title)
    assert newcomer.title not in page
    assert "Daily digest" in page
    assert digest.paper_ids == [first.pk, second.pk]


def test_the_weekly_stable_page_and_its_neighbours(client):
    for day in (dt.date(2026, 11, 12), dt.date(2026, 11, 19), dt.date(2026, 11, 26)):
        paper_on(day, f"Week of {day}", upvotes=1)
        freeze(Frequency.WEEKLY, day)

    page = client.get("/digest/weekly/2026-W47").content.decode()

    assert "Week of 2026-11-19" in page
    assert "Week of 2026-11-12" not in page
    assert 'href="/digest/weekly/2026-W46"' in page
    assert 'href="/digest/weekly/2026-W48"' in page


def test_a_period_without_a_digest_is_a_404(client):
    paper_on(dt.date(2026, 11, 26), "Never sent", upvotes=1)

    assert client.get("/digest/daily/2026-11-26").status_code == 404
    assert client.get("/digest/weekly/2026-W48").status_code == 404
    assert client.get("/digest/daily/2026-02-30").status_code == 404
    assert client.get("/digest/weekly/2026-W54").status_code == 404
