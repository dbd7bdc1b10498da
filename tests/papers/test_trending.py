import datetime as dt

import pytest

from apps.papers import selectors
from apps.papers.models import Paper
from apps.papers.ranking import TRENDING_HALF_LIFE
from apps.votes.services import trending_scores_refresh, vote_toggle
from apps.votes.tasks import refresh_trending_scores
from tests.factories import add_votes, make_entry, make_paper

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 2, 14)


NOON = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)


def _entry(arxiv_id: str, *, days_ago: float, upvotes: int):
    """A paper submitted ``days_ago`` whose ``upvotes`` were all cast when it was submitted."""
    submitted_at = NOON - dt.timedelta(days=days_ago)
    entry = make_entry(
        day=submitted_at.date(), submitted_at=submitted_at, paper=make_paper(arxiv_id=arxiv_id)
    )
    if upvotes:
        add_votes(entry.paper, upvotes, at=submitted_at)
    return entry


def _trending_ids() -> list[str]:
    return [entry.paper.arxiv_id for entry in selectors.daily_entries_trending()]


def test_recent_upvotes_outrank_more_but_older_upvotes():
    _entry("2602.00001", days_ago=3, upvotes=40)  # 40 / 2**3 = 5 "fresh" votes
    _entry("2602.00002", days_ago=0, upvotes=10)
    _entry("2602.00003", days_ago=1, upvotes=12)  # 12 / 2 = 6
    _entry("2602.00004", days_ago=0, upvotes=0)
    trending_scores_refresh()
    assert _trending_ids() == ["2602.00002", "2602.00003", "2602.00001", "2602.00004"]


def test_doubling_votes_is_worth_one_half_life_of_recency():
    _entry("2602.00001", days_ago=TRENDING_HALF_LIFE / dt.timedelta(days=1), upvotes=20)
    _entry("2602.00002", days_ago=0, upvotes=10)
    trending_scores_refresh()
    old, new = Paper.objects.order_by("arxiv_id").values_list("trending_score", flat=True)
    assert old == pytest.approx(new)


def test_papers_without_upvotes_rank_last_newest_first():
    _entry("2602.00001", days_ago=2, upvotes=0)
    _entry("2602.00002", days_ago=1, upvotes=0)
    _entry("2602.00003", days_ago=30, upvotes=1)
    trending_scores_refresh()
    assert _trending_ids() == ["2602.00003", "2602.00002", "2602.00001"]


def test_recent_votes_weigh_more_than_old_votes_on_papers_of_the_same_day():
    old_votes = _entry("2602.00001", days_ago=3, upvotes=6).paper
    new_votes = _entry("2602.00002", days_ago=3, upvotes=0).paper
    add_votes(new_votes, 3, at=NOON)  # half the votes, but cast three half-lives later
    assert _trending_ids() == ["2602.00002", "2602.00001"]
    old_votes.refresh_from_db()
    new_votes.refresh_from_db()
    assert new_votes.trending_score - old_votes.trending_score == pytest.approx(3 - 1)


def test_a_vote_through_the_service_updates_the_score_at_once():
    from tests.factories import make_user

    quiet = _entry("2602.00001", days_ago=0, upvotes=0).paper
    _entry("2602.00002", days_ago=2, upvotes=1)
    assert _trending_ids()[0] == "2602.00002"
    vote_toggle(user=make_user(), item=quiet)
    assert _trending_ids()[0] == "2602.00001"


def test_refreshing_some_papers_leaves_the_others_alone():
    a = _entry("2602.00001", days_ago=0, upvotes=5).paper
    b = _entry("2602.00002", days_ago=0, upvotes=5).paper
    Paper.objects.update(trending_score=0)
    assert trending_scores_refresh(paper_ids=[a.pk]) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.trending_score > b.trending_score == 0


def test_full_refresh_rewrites_only_changed_scores_and_the_beat_task_runs_it():
    _entry("2602.00001", days_ago=0, upvotes=5)
    _entry("2602.00002", days_ago=0, upvotes=5)
    trending_scores_refresh()
    assert trending_scores_refresh() == 0
    Paper.objects.filter(arxiv_id="2602.00001").update(trending_score=0)
    assert refresh_trending_scores.apply().get() == 1


def test_trending_selector_is_one_query(django_assert_num_queries):
    for i in range(5):
        _entry(f"2602.{i:05d}", days_ago=i, upvotes=i)
    trending_scores_refresh()
    with django_assert_num_queries(1):
        entries = list(selectors.daily_entries_trending())
        assert entries[0].author_names == ["Ada Lovelace", "Alan Turing"]
        assert entries[0].paper.title


def test_trending_page_lists_papers_hottest_first_with_tabs_and_feeds(client):
    _entry("2602.00001", days_ago=3, upvotes=40)
    _entry("2602.00002", days_ago=0, upvotes=10)
    trending_scores_refresh()
    response = client.get("/papers/trending")
    assert response.status_code == 200
    assert [e.paper.arxiv_id for e in response.context["entries"]] == ["2602.00002", "2602.00001"]
    assert 'href="/papers/trending" aria-current="page">Trending' in response.text
    assert 'type="application/rss+xml"' in response.text


def test_trending_page_uses_a_constant_number_of_queries(client, django_assert_max_num_queries):
    def fill(count: int, start: int) -> None:
        for i in range(count):
            _entry(f"2602.{start + i:05d}", days_ago=i % 4, upvotes=i)
        trending_scores_refresh()

    fill(3, 1)
    with django_assert_max_num_queries(2):
        small = client.get("/papers/trending")
    fill(30, 100)
    with django_assert_max_num_queries(2):
        large = client.get("/papers/trending")
    assert len(large.context["entries"]) == 33 > len(small.context["entries"])
