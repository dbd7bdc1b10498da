"""The bulk upsert that ingestion, submissions and the demo share (papers_upsert)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.comments.services import comment_create
from apps.papers.models import Author, AuthorClaim, Authorship, Paper, PaperVersion
from apps.papers.services import (
    PaperRecord,
    author_claim_approve,
    author_claim_create,
    paper_search_vector_refresh,
    papers_upsert,
)
from tests.factories import add_votes, make_entry, make_user

pytestmark = pytest.mark.django_db

V1_AT = dt.datetime(2024, 10, 13, 17, 0, tzinfo=dt.UTC)
V2_AT = dt.datetime(2024, 11, 2, 9, 30, tzinfo=dt.UTC)


def record(arxiv_id: str = "2410.09692v1", **fields) -> PaperRecord:
    values = {
        "title": "Diffusion   models\nfor  $\\alpha$-things",
        "abstract": "  We study   things.\n New line. ",
        "published_on": dt.date(2024, 10, 13),
        "authors": ["Hai Huang", "Randall Balestriero"],
        "affiliations": ["Brown University", ""],
        "version_dates": {1: V1_AT},
        "primary_category": "cs.LG",
        "categories": ["cs.LG", "cs.AI", "cs.LG"],
        "comment": "12 pages, code at https://github.com/a/b",
        "journal_ref": "NeurIPS 2024",
        "doi": "10.1000/xyz",
        "github_repo": "https://github.com/a/b",
    }
    values.update(fields)
    return PaperRecord(arxiv_id=arxiv_id, **values)


def authors_of(paper: Paper) -> list[tuple[str, str]]:
    return [
        (a.author.name, a.affiliation)
        for a in Authorship.objects.filter(paper=paper).select_related("author")
    ]


def test_creates_papers_with_every_field_normalised():
    result = papers_upsert([record(), record("hep-th/9901001v2", version_dates={})])
    assert (len(result.created), result.updated, result.unchanged) == (2, [], 0)
    paper = Paper.objects.get(arxiv_id="2410.09692")
    assert paper.title == "Diffusion models for $\\alpha$-things"
    assert paper.abstract == "We study things. New line."
    assert paper.categories == ["cs.LG", "cs.AI"]
    assert (paper.primary_category, paper.journal_ref, paper.doi) == (
        "cs.LG",
        "NeurIPS 2024",
        "10.1000/xyz",
    )
    assert authors_of(paper) == [("Hai Huang", "Brown University"), ("Randall Balestriero", "")]
    assert list(paper.versions.values_list("number", "submitted_at")) == [(1, V1_AT)]
    old_style = Paper.objects.get(arxiv_id="hep-th/9901001")
    assert old_style.latest_version == 2
    assert list(old_style.versions.values_list("number", "submitted_at")) == [
        (1, None),
        (2, None),
    ]
    assert result.paper_ids == {"2410.09692": paper.pk, "hep-th/9901001": old_style.pk}
    assert Paper.objects.filter(search_vector__isnull=True).count() == 0
    # The document computed on insert is the one a refresh computes.
    inserted = dict(Paper.objects.values_list("pk", "search_vector"))
    paper_search_vector_refresh()
    assert dict(Paper.objects.values_list("pk", "search_vector")) == inserted


def test_a_rerun_changes_nothing():
    papers_upsert([record(), record("2410.00001")])
    before = list(Paper.objects.order_by("pk").values_list("modified_at", flat=True))
    result = papers_upsert([record(), record("2410.00001")])
    assert (result.created, result.updated, result.unchanged, result.skipped) == ([], [], 2, 0)
    assert list(Paper.objects.order_by("pk").values_list("modified_at", flat=True)) == before


def test_a_new_version_updates_and_keeps_votes_comments_entries_and_claims():
    papers_upsert([record()])
    paper = Paper.objects.get()
    add_votes(paper, 3)
    make_entry(day=dt.date(2024, 10, 14), paper=paper)
    comment_create(author=make_user(), paper=paper, body="Nice")
    claimant, moderator = make_user(), make_user(is_staff=True)
    slot = Authorship.objects.get(paper=paper, author__name="Randall Balestriero")
    author_claim_approve(
        claim=author_claim_create(user=claimant, authorship=slot), moderator=moderator
    )

    result = papers_upsert(
        [
            record(
                "2410.09692v2",
                title="Second title",
                updated_on=V2_AT.date(),
                version_dates={1: V1_AT, 2: V2_AT},
                authors=["Randall Balestriero", "New Person", "Hai Huang"],
                affiliations=["Meta", "", "Brown University"],
            )
        ]
    )

    assert result.updated == [paper.pk]
    paper.refresh_from_db()
    assert (paper.title, paper.latest_version, paper.updated_on) == (
        "Second title",
        2,
        V2_AT.date(),
    )
    assert authors_of(paper) == [
        ("Randall Balestriero", "Meta"),
        ("New Person", ""),
        ("Hai Huang", "Brown University"),
    ]
    assert list(paper.versions.values_list("number", "submitted_at")) == [(1, V1_AT), (2, V2_AT)]
    assert (paper.upvotes_count, paper.comments_count, paper.daily_entry.day) == (
        3,
        1,
        dt.date(2024, 10, 14),
    )
    claim = AuthorClaim.objects.get(user=claimant)
    assert (claim.status, claim.authorship_id, claim.authorship.position) == (
        "approved",
        slot.pk,
        0,
    )


def test_an_older_version_is_skipped():
    papers_upsert([record("2410.09692v3", title="Third")])
    result = papers_upsert([record("2410.09692v1", title="First")])
    assert (result.skipped, result.updated) == (1, [])
    assert Paper.objects.get().title == "Third"


def test_within_one_batch_the_latest_version_wins():
    result = papers_upsert([record("2410.09692v2", title="Two"), record("2410.09692v1")])
    assert len(result.created) == 1
    assert Paper.objects.get().title == "Two"


def test_a_listing_entry_fills_gaps_but_erases_nothing():
    papers_upsert([record()])
    partial = record(
        comment="", journal_ref="", doi="", github_repo="", complete=False, title="Listing title"
    )
    result = papers_upsert([partial])
    assert result.unchanged == 1
    paper = Paper.objects.get()
    assert (paper.comment, paper.doi, paper.title) == (
        "12 pages, code at https://github.com/a/b",
        "10.1000/xyz",
        "Diffusion models for $\\alpha$-things",
    )
    newer = record("2410.09692v2", title="Replaced", complete=False, comment="")
    assert papers_upsert([newer]).updated == [paper.pk]
    paper.refresh_from_db()
    assert (paper.title, paper.latest_version, paper.comment) == (
        "Replaced",
        2,
        "12 pages, code at https://github.com/a/b",
    )


def test_bad_record_writes_nothing_of_its_batch():
    with pytest.raises(ValidationError, match=r"2410\.00002: the title is longer than 500"):
        papers_upsert([record("2410.00001"), record("2410.00002", title="x" * 501)])
    assert not Paper.objects.exists()
    assert not Author.objects.exists()


def test_queries_do_not_grow_with_papers_or_authors(django_assert_max_num_queries):
    records = [
        record(f"2410.{n:05d}", authors=[f"Author {n}-{k}" for k in range(8)], affiliations=[])
        for n in range(1, 301)
    ]
    with django_assert_max_num_queries(16):
        result = papers_upsert(records)
    assert len(result.created) == 300
    assert Authorship.objects.count() == 2400
    assert PaperVersion.objects.count() == 300
    changed = [record(r.arxiv_id + "v2", authors=list(reversed(r.authors))) for r in records]
    with django_assert_max_num_queries(16):
        assert len(papers_upsert(changed).updated) == 300
