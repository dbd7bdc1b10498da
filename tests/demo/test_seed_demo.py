import datetime as dt

import pytest
from django.core.management import call_command

from apps.demo.seeding import date_from_arxiv_id, demo_records
from apps.digests.models import Digest, Frequency
from apps.ingestion.models import Announcement
from apps.papers.models import Author, Authorship, DailyEntry, Paper
from apps.users.models import User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Paper, Author, Authorship, DailyEntry, User)
    }


def test_seed_demo_twice_leaves_the_same_rows(capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    # 65 papers in the file, one has no arXiv id; 13 more from the saved listing, not featured
    assert first["Paper"] == 64 + 13
    assert first["DailyEntry"] == 64
    assert Announcement.objects.count() == 13
    output = capsys.readouterr().out
    assert "1 skipped" in output
    assert "13 papers of a saved arXiv listing" in output


def test_demo_papers_are_spread_over_recent_days_ending_today():
    call_command("seed_demo")
    days = sorted(set(DailyEntry.objects.values_list("day", flat=True)))
    assert len(days) == 5
    assert days[-1] == dt.date.today()  # noqa: DTZ011 - TIME_ZONE is UTC


def test_demo_copes_with_missing_dates_and_authors():
    records, skipped = demo_records()
    by_id = {r.arxiv_id: r for r in records}
    assert skipped == 1
    assert by_id["1511.06391"].published_on == dt.date(2015, 11, 1)  # derived from the id
    assert by_id["2401.11170"].authors == []
    assert by_id["2410.09692"].authors == ["Hai Huang", "Randall Balestriero"]


@pytest.mark.parametrize(
    ("arxiv_id", "expected"),
    [("2410.09692", dt.date(2024, 10, 1)), ("hep-th/9901001", dt.date(1999, 1, 1))],
)
def test_date_from_arxiv_id(arxiv_id, expected):
    assert date_from_arxiv_id(arxiv_id) == expected


def test_the_demo_archive_has_the_digests_of_its_finished_days(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    days = sorted(set(DailyEntry.objects.values_list("day", flat=True)))
    daily = Digest.objects.filter(frequency=Frequency.DAILY)
    # every demo day but today (still running) has its digest, frozen once
    assert sorted(daily.values_list("period_start", flat=True)) == days[:-1]
    assert all(len(digest.paper_ids) == 10 for digest in daily)
    assert f"{Digest.objects.count()} past digests" in capsys.readouterr().out
