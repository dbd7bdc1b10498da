"""Writes for papers: the idempotent upsert that demo data and ingestion share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from apps.papers.arxiv_ids import split_version
from apps.papers.models import Author, Authorship, DailyEntry, Paper
from apps.users.models import User


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


# --- Trending -----------------------------------------------------------------------------
#
# A paper's heat is the sum of its upvotes, each decayed by half every TRENDING_HALF_LIFE:
#
#     heat(now) = sum over votes v of 2 ** (-(now - t_v) / H)
#
# so a vote from today counts twice one from yesterday. heat(now) changes every second, but
#
#     log2(heat(now)) = log2(sum over v of 2 ** ((t_v - T0) / H)) - (now - T0) / H
#
# and the last term is the same for every paper: ranking by the time-free first term ranks by
# heat at any instant. That term is what ``Paper.trending_score`` stores. It only changes when
# a vote is added or removed, so scores computed at different moments stay comparable, a paper
# can be refreshed alone right after a vote, and the trending page is one indexed ORDER BY.
#
# Until the votes' own timestamps exist, every upvote is counted as cast when the paper was
# submitted (its DailyEntry, else its publication day), which reduces the sum to
#
#     trending_score = log2(upvotes_count) + (t_submitted - T0) / H     (0 without upvotes)
#
# i.e. doubling the upvotes is worth one half-life of recency (Reddit's "hot" ranking has the
# same shape). T0 predates arXiv, so a paper with votes always scores above one without.
TRENDING_HALF_LIFE = dt.timedelta(hours=24)
TRENDING_EPOCH = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)

_TRENDING_UPDATE = """
UPDATE papers_paper AS paper SET trending_score = fresh.score
FROM (
    SELECT p.id,
        CASE WHEN p.upvotes_count > 0 THEN
            ln(p.upvotes_count::float8) / ln(2.0)
            + extract(epoch FROM coalesce(
                e.submitted_at, p.published_on::timestamp AT TIME ZONE 'UTC'
            ) - %(epoch)s)::float8 / %(half_life)s
        ELSE 0 END AS score
    FROM papers_paper p LEFT JOIN papers_dailyentry e ON e.paper_id = p.id
    {where}
) AS fresh
WHERE paper.id = fresh.id AND paper.trending_score IS DISTINCT FROM fresh.score
"""


def trending_scores_refresh(*, paper_ids: list[int] | None = None) -> int:
    """Recompute ``trending_score`` in one UPDATE; returns how many scores changed.

    Call it with ``paper_ids`` right after their votes change; the beat task runs it over every
    paper as a safety net for counts changed in bulk. Unchanged rows are not rewritten.
    """
    where = "" if paper_ids is None else "WHERE p.id = ANY(%(ids)s)"
    params = {
        "epoch": TRENDING_EPOCH,
        "half_life": TRENDING_HALF_LIFE.total_seconds(),
        "ids": list(paper_ids or []),
    }
    with connection.cursor() as cursor:
        cursor.execute(_TRENDING_UPDATE.format(where=where), params)
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
    trending_scores_refresh(paper_ids=[paper.pk])
    return entry
