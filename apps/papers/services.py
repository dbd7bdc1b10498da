"""Writes for papers: the idempotent upsert that demo data and ingestion share, daily
entries, and author claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.papers.arxiv_ids import split_version
from apps.papers.models import Author, AuthorClaim, Authorship, DailyEntry, Paper
from apps.users.models import User
from apps.users.roles import user_can_post, user_is_moderator


@dataclass(frozen=True)
class PaperRecord:
    """A paper as a source (arXiv, a demo file) describes it."""

    arxiv_id: str
    title: str
    abstract: str
    published_on: dt.date
    authors: list[str] = field(default_factory=list)
    updated_on: dt.date | None = None
    version: int = 1
    github_repo: str = ""
    project_page: str = ""


def _clean_spaces(text: str) -> str:
    return " ".join(text.split())


@transaction.atomic
def paper_upsert(*, record: PaperRecord) -> tuple[Paper, bool]:
    """Create the paper or update it from a version at least as new; returns (paper, created).

    An older version than the one stored changes nothing, so replaying a feed is harmless.
    """
    arxiv_id, id_version = split_version(record.arxiv_id)
    version = id_version or record.version
    fields = {
        "title": _clean_spaces(record.title),
        "abstract": record.abstract.strip(),
        "published_on": record.published_on,
        "updated_on": record.updated_on,
        "latest_version": version,
    }
    if record.github_repo:
        fields["github_repo"] = record.github_repo
    if record.project_page:
        fields["project_page"] = record.project_page

    paper = Paper.objects.select_for_update().filter(arxiv_id=arxiv_id).first()
    created = paper is None
    if created:
        paper = Paper(arxiv_id=arxiv_id, **fields)
    elif version < paper.latest_version:
        return paper, False
    else:
        for name, value in fields.items():
            setattr(paper, name, value)
    paper.full_clean(validate_unique=False)
    paper.save()
    _set_authors(paper=paper, names=[_clean_spaces(n) for n in record.authors if n.strip()])
    paper_search_vector_refresh(paper_ids=[paper.pk])
    return paper, created


_SEARCH_VECTOR_UPDATE = """
UPDATE papers_paper AS paper SET search_vector =
    setweight(to_tsvector('english', paper.title), 'A')
    || setweight(to_tsvector('english', coalesce(authors.names, '')), 'B')
    || setweight(to_tsvector('english', paper.abstract), 'C')
FROM (SELECT id FROM papers_paper {papers}) AS target
LEFT JOIN (
    SELECT s.paper_id, string_agg(a.name, ' ' ORDER BY s.position) AS names
    FROM papers_authorship s JOIN papers_author a ON a.id = s.author_id
    {authorships}
    GROUP BY s.paper_id
) AS authors ON authors.paper_id = target.id
WHERE paper.id = target.id
"""


def paper_search_vector_refresh(*, paper_ids: list[int] | None = None) -> int:
    """Rebuild ``Paper.search_vector`` (title A, authors B, abstract C) in one UPDATE.

    ``paper_ids=None`` rebuilds every paper (after a bulk load); returns the rows updated.
    Search and "similar papers" both read this column through its GIN index. The author
    names are aggregated once and joined, not looked up per paper: after a bulk load, before
    ANALYZE, a per-row subquery made PostgreSQL take minutes instead of seconds.
    """
    papers, authorships = (
        ("", "")
        if paper_ids is None
        else (
            "WHERE id = ANY(%(ids)s)",
            "WHERE s.paper_id = ANY(%(ids)s)",
        )
    )
    sql = _SEARCH_VECTOR_UPDATE.format(papers=papers, authorships=authorships)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(paper_ids or [])})
        return cursor.rowcount


def _set_authors(*, paper: Paper, names: list[str]) -> None:
    names = list(dict.fromkeys(names))  # an author listed twice keeps the first place
    current = list(
        Authorship.objects.filter(paper=paper)
        .order_by("position")
        .values_list("author__name", flat=True)
    )
    if current == names:
        return
    Author.objects.bulk_create([Author(name=n) for n in names], ignore_conflicts=True)
    authors = Author.objects.in_bulk(names, field_name="name")
    Authorship.objects.filter(paper=paper).delete()
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author=authors[name], position=i) for i, name in enumerate(names)
    )


@transaction.atomic
def daily_entry_place(
    *,
    paper: Paper,
    day: dt.date,
    submitted_by: User | None = None,
    submitted_at: dt.datetime | None = None,
) -> DailyEntry:
    """Put a paper on a day's page; a paper has one entry, so placing it again moves it."""
    entry, _ = DailyEntry.objects.update_or_create(
        paper=paper,
        defaults={
            "day": day,
            "submitted_by": submitted_by,
            "submitted_at": submitted_at or timezone.now(),
        },
    )
    return entry


# --- Author claims ----------------------------------------------------------------------


def _slot_for_update(authorship: Authorship) -> Authorship:
    # Serialises concurrent claims and decisions on one author slot.
    return Authorship.objects.select_for_update().get(pk=authorship.pk)


@transaction.atomic
def author_claim_create(*, user: User, authorship: Authorship) -> AuthorClaim:
    """File a pending claim; refused when the slot or the paper is already claimed."""
    if not user_can_post(user):
        raise PermissionDenied("Log in with an account in good standing to claim authorship.")
    authorship = _slot_for_update(authorship)
    claims = AuthorClaim.objects.filter(
        authorship__paper_id=authorship.paper_id, status__in=["pending", "approved"]
    )
    if AuthorClaim.objects.filter(user=user, authorship=authorship).exists():
        raise ValidationError("You have already claimed this author.", code="duplicate")
    if claims.filter(authorship=authorship, status=AuthorClaim.Status.APPROVED).exists():
        raise ValidationError("Someone else is already this author.", code="taken")
    if claims.filter(user=user).exists():
        raise ValidationError(
            "You already have a claim on another author of this paper.", code="other_slot"
        )
    try:
        with transaction.atomic():
            return AuthorClaim.objects.create(user=user, authorship=authorship)
    except IntegrityError as exc:
        raise ValidationError("You have already claimed this author.", code="duplicate") from exc


def _require_moderator(user: User) -> None:
    if not user_is_moderator(user):
        raise PermissionDenied("Only moderators decide author claims.")


def _decide(*, claim: AuthorClaim, moderator: User, status: str) -> AuthorClaim:
    _slot_for_update(claim.authorship)
    claim = AuthorClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != AuthorClaim.Status.PENDING:
        raise ValidationError(f"This claim was already {claim.status}.", code="decided")
    now = timezone.now()
    claim.status, claim.decided_by, claim.decided_at = status, moderator, now
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    return claim


@transaction.atomic
def author_claim_approve(*, claim: AuthorClaim, moderator: User) -> AuthorClaim:
    """Approve; other pending claims on the same slot are rejected, as only one can be true."""
    _require_moderator(moderator)
    _slot_for_update(claim.authorship)
    if AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.APPROVED
    ).exists():
        raise ValidationError("Another claim on this author is already approved.", code="taken")
    claim = _decide(claim=claim, moderator=moderator, status=AuthorClaim.Status.APPROVED)
    AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.PENDING
    ).update(status=AuthorClaim.Status.REJECTED, decided_by=moderator, decided_at=claim.decided_at)
    return claim


@transaction.atomic
def author_claim_reject(*, claim: AuthorClaim, moderator: User) -> AuthorClaim:
    _require_moderator(moderator)
    return _decide(claim=claim, moderator=moderator, status=AuthorClaim.Status.REJECTED)
