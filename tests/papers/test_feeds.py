import datetime as dt

import feedparser
import pytest

from apps.papers.services import trending_scores_refresh
from tests.factories import make_entry, make_paper

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 2, 9)


@pytest.fixture
def entries():
    make_entry(
        day=DAY - dt.timedelta(days=1),
        paper=make_paper(arxiv_id="2602.00001", title="Older paper", upvotes=50),
    )
    make_entry(
        day=DAY,
        paper=make_paper(
            arxiv_id="2602.00002",
            title="Attention is $O(n)$",
            abstract="Linear <attention> & more.",
            authors=["Ada Lovelace", "Alan Turing"],
            upvotes=3,
        ),
    )
    make_entry(day=DAY, paper=make_paper(arxiv_id="2602.00003", title="Top of the day", upvotes=9))
    trending_scores_refresh()


def _parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return response, feed


@pytest.mark.parametrize("url", ["/feeds/daily.rss", "/feeds/daily.atom"])
def test_daily_feed_lists_the_newest_day_first_ranked_like_the_page(client, entries, url):
    _, feed = _parse(client, url)
    assert feed.feed.title == "Paperboard: daily papers"
    assert [e.title for e in feed.entries] == [
        "Top of the day",
        "Attention is $O(n)$",
        "Older paper",
    ]
    item = feed.entries[1]
    assert item.link == "http://testserver/papers/2602.00002"
    assert item.id == "arxiv:2602.00002"
    assert item.author == "Ada Lovelace, Alan Turing"
    assert item.summary == "Linear &lt;attention&gt; &amp; more."  # text, not markup
    assert item.published_parsed[:3] == (2026, 2, 9)


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/feeds/trending.rss", "application/rss+xml"),
        ("/feeds/trending.atom", "application/atom+xml"),
    ],
)
def test_trending_feed_follows_the_trending_order(client, entries, url, content_type):
    response, feed = _parse(client, url)
    assert response["Content-Type"].startswith(content_type)
    assert feed.feed.title == "Paperboard: trending papers"
    # 50 votes a day old weigh like 25 fresh ones: more than today's 9.
    assert [e.title for e in feed.entries] == [
        "Older paper",
        "Top of the day",
        "Attention is $O(n)$",
    ]


def test_pages_advertise_the_feeds(client, entries):
    for url in ("/", "/papers/week/2026-W07", "/papers/trending"):
        html = client.get(url).text
        for feed in ("daily.rss", "daily.atom", "trending.rss", "trending.atom"):
            assert f'href="/feeds/{feed}"' in html
        assert '<link rel="alternate" type="application/atom+xml"' in html


def test_empty_feeds_are_still_valid(client):
    for url in ("/feeds/daily.rss", "/feeds/trending.atom"):
        _, feed = _parse(client, url)
        assert feed.entries == []


@pytest.mark.parametrize("url", ["/feeds/daily.rss", "/feeds/trending.atom"])
def test_feeds_use_a_constant_number_of_queries(client, django_assert_max_num_queries, url):
    for i in range(3):
        make_entry(day=DAY, arxiv_id=f"2602.{i + 10:05d}")
    with django_assert_max_num_queries(1):
        client.get(url)
    for i in range(30):
        make_entry(day=DAY, arxiv_id=f"2602.{i + 100:05d}")
    with django_assert_max_num_queries(1):
        _, feed = _parse(client, url)
    assert len(feed.entries) == 33
