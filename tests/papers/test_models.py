import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.papers.models import Authorship, DailyEntry, Paper
from apps.papers.services import PaperRecord, paper_upsert
from tests.factories import make_entry, make_paper

pytestmark = pytest.mark.django_db


def _paper(**fields) -> Paper:
    values = {
        "arxiv_id": "2410.09692",
        "title": "T",
        "abstract": "A",
        "published_on": dt.date(2024, 10, 13),
    }
    return Paper(**{**values, **fields})


@pytest.mark.parametrize("arxiv_id", ["2410.09692v2", "2410.096921", "abc", "hep-th/99", ""])
def test_database_rejects_ids_that_are_not_versionless_arxiv_ids(arxiv_id):
    with pytest.raises(IntegrityError), transaction.atomic():
        _paper(arxiv_id=arxiv_id).save()


@pytest.mark.parametrize(
    "arxiv_id", ["2410.09692", "0704.0001", "hep-th/9901001", "math.GT/0309136"]
)
def test_new_and_old_style_ids_are_accepted(arxiv_id):
    _paper(arxiv_id=arxiv_id).save()
    assert Paper.objects.filter(arxiv_id=arxiv_id).exists()


def test_arxiv_id_is_unique():
    _paper().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _paper(title="Another").save()


def test_update_cannot_predate_publication():
    with pytest.raises(IntegrityError), transaction.atomic():
        _paper(updated_on=dt.date(2024, 1, 1)).save()


def test_model_validation_explains_a_versioned_id():
    with pytest.raises(ValidationError, match="without version"):
        _paper(arxiv_id="2410.09692v2").full_clean()


def test_author_cannot_hold_two_places_on_one_paper():
    paper = make_paper(authors=["Ada Lovelace"])
    author = paper.authorships.get().author
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorship.objects.create(paper=paper, author=author, position=1)


def test_a_paper_has_at_most_one_daily_entry():
    entry = make_entry(day=dt.date(2026, 11, 20))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyEntry.objects.create(
            paper=entry.paper, day=dt.date(2026, 11, 21), submitted_at=entry.submitted_at
        )


def test_upsert_keys_on_versionless_id_and_later_versions_update():
    record = PaperRecord(
        arxiv_id="2410.09692v1",
        title="First title",
        abstract="First abstract",
        published_on=dt.date(2024, 10, 13),
        authors=["Hai Huang", "Randall Balestriero"],
    )
    paper, created = paper_upsert(record=record)
    assert created
    assert paper.arxiv_id == "2410.09692"

    newer = PaperRecord(
        arxiv_id="2410.09692v2",
        title="Second   title",
        abstract="Second abstract",
        published_on=dt.date(2024, 10, 13),
        updated_on=dt.date(2024, 11, 2),
        authors=["Randall Balestriero", "Hai Huang"],
    )
    paper, created = paper_upsert(record=newer)
    assert not created
    assert (paper.title, paper.latest_version) == ("Second title", 2)
    assert [a.author.name for a in paper.authorships.order_by("position")] == [
        "Randall Balestriero",
        "Hai Huang",
    ]

    # Replaying the older version changes nothing.
    paper, _ = paper_upsert(record=record)
    paper.refresh_from_db()
    assert (paper.title, paper.latest_version) == ("Second title", 2)
    assert Paper.objects.count() == 1
