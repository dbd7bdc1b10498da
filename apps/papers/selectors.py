"""Reads for papers: querysets that already carry what the pages need."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Max, Min, OuterRef, Prefetch, QuerySet, Subquery

from apps.papers.models import Authorship, DailyEntry, Paper
from apps.papers.periods import Period, PeriodKind


def _authorships() -> Prefetch:
    return Prefetch(
        "paper__authorships",
        queryset=Authorship.objects.select_related("author").order_by("position"),
    )


def daily_entries_in_period(*, start: dt.date, end: dt.date) -> QuerySet[DailyEntry]:
    """The papers placed on days ``start`` to ``end`` (both included), ranked by upvotes.

    Ties go to the newest submission, then to the arXiv id so that the order is total.
    """
    return (
        DailyEntry.objects.filter(day__range=(start, end))
        .select_related("paper", "submitted_by")
        .defer("paper__search_vector")
        .prefetch_related(_authorships())
        .order_by("-paper__upvotes_count", "-submitted_at", "paper__arxiv_id")
    )


def daily_entries_for_day(*, day: dt.date) -> QuerySet[DailyEntry]:
    """The day's papers ranked by upvotes; ties go to the newest submission."""
    return daily_entries_in_period(start=day, end=day)


def latest_day_with_papers() -> dt.date | None:
    return DailyEntry.objects.aggregate(day=Max("day"))["day"]


def neighbouring_days(
    *, day: dt.date, end: dt.date | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The nearest day with papers before ``day`` and after ``end`` (default: ``day``).

    Empty days are skipped, so previous/next links never lead to an empty page.
    """
    end = end or day
    previous_day = DailyEntry.objects.filter(day__lt=day).aggregate(d=Max("day"))["d"]
    next_day = DailyEntry.objects.filter(day__gt=end).aggregate(d=Min("day"))["d"]
    return previous_day, next_day


def paper_by_arxiv_id(*, arxiv_id: str) -> Paper | None:
    return Paper.objects.filter(arxiv_id=arxiv_id).first()


def papers_with_author_names(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    """Papers with their daily entry, submitter and ``author_names`` (a list, in order).

    One query for a whole listing: the names come from a correlated array subquery rather than
    a prefetch, which saves building an Authorship and an Author object per name.
    """
    names = (
        Authorship.objects.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(names=ArrayAgg("author__name", order_by="position"))
        .values("names")
    )
    return queryset.select_related("daily_entry__submitted_by").annotate(
        author_names=Subquery(names, output_field=ArrayField(CharField()))
    )


def daily_papers(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    submitter: str | None = None,
    sort: Literal["published", "trending"] = "published",
) -> QuerySet[Paper]:
    """Papers on the daily list between two days (inclusive), newest submission or trending first.

    ``submitter`` is a username (any case); an unknown one simply matches nothing.
    """
    papers = Paper.objects.filter(daily_entry__isnull=False)
    if start is not None:
        papers = papers.filter(daily_entry__day__gte=start)
    if end is not None:
        papers = papers.filter(daily_entry__day__lte=end)
    if submitter:
        papers = papers.filter(daily_entry__submitted_by__username__iexact=submitter)
    if sort == "trending":
        order = ("-trending_score", "-upvotes_count", "-daily_entry__submitted_at", "-id")
    else:
        order = ("-daily_entry__submitted_at", "-id")
    return papers_with_author_names(papers.order_by(*order))


def neighbouring_periods(*, period: Period) -> tuple[Period | None, Period | None]:
    """The nearest periods of the same kind, before and after, that have papers."""
    previous_day, next_day = neighbouring_days(day=period.start, end=period.end)
    kind: PeriodKind = period.kind
    return (
        Period.containing(kind, previous_day) if previous_day else None,
        Period.containing(kind, next_day) if next_day else None,
    )


def daily_entries_recent(*, limit: int) -> QuerySet[DailyEntry]:
    """The newest days' papers, each day ranked like its page (for the daily feed)."""
    return (
        DailyEntry.objects.select_related("paper", "submitted_by")
        .defer("paper__search_vector")
        .prefetch_related(_authorships())
        .order_by("-day", "-paper__upvotes_count", "-submitted_at", "paper__arxiv_id")[:limit]
    )


def daily_entries_trending(*, limit: int = 50) -> QuerySet[DailyEntry]:
    """The hottest papers by stored ``trending_score`` (see services), one indexed query."""
    return (
        DailyEntry.objects.select_related("paper", "submitted_by")
        .defer("paper__search_vector")
        .prefetch_related(_authorships())
        .order_by("-paper__trending_score", "-submitted_at", "paper__arxiv_id")[:limit]
    )


def paper_for_page(*, arxiv_id: str) -> Paper | None:
    """A paper with its entry, submitter and ordered authors, or None."""
    return (
        Paper.objects.select_related("daily_entry__submitted_by")
        .defer("search_vector")
        .prefetch_related(
            Prefetch(
                "authorships",
                queryset=Authorship.objects.select_related("author").order_by("position"),
            )
        )
        .filter(arxiv_id=arxiv_id)
        .first()
    )


SIMILAR_TERMS = 12
SIMILAR_CACHE_SECONDS = 6 * 3600

# The paper's most significant lexemes OR-ed into a tsquery, ranked with ts_rank against every
# other paper's weighted search_vector through its GIN index. Significant = rare in the corpus
# (document frequencies come free from ANALYZE's most-common-elements statistics of the
# column; a lexeme missing there is rarer than all of them), then in the title, then repeated.
# Rare terms also keep the set of matching papers, which ts_rank must score, small.
# (No pg_trgm on the embedded PostgreSQL, so full-text it is.)
_SIMILAR_SQL = """
WITH common AS (
    SELECT u.lexeme, u.freq
    FROM pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'papers_paper'
        AND s.attname = 'search_vector'
), terms AS (
    SELECT quote_literal(t.lexeme) AS term
    FROM papers_paper p
    CROSS JOIN unnest(p.search_vector) AS t
    LEFT JOIN common c ON c.lexeme = t.lexeme
    WHERE p.id = %(id)s AND length(t.lexeme) > 2
    ORDER BY coalesce(c.freq, 0), ('A' = ANY(t.weights)) DESC, cardinality(t.positions) DESC,
        t.lexeme
    LIMIT %(terms)s
), query AS (
    SELECT string_agg(term, ' | ')::tsquery AS q FROM terms
)
SELECT p.id
FROM papers_paper p, query
WHERE p.search_vector @@ query.q AND p.id <> %(id)s
ORDER BY ts_rank(p.search_vector, query.q) DESC, p.id DESC
LIMIT %(limit)s
"""


def similar_papers(*, paper: Paper, limit: int = 5) -> list[Paper]:
    """The ``limit`` papers nearest to ``paper`` by text, best first.

    The ranking scans every paper sharing a term, so its ids are cached for a few hours under
    the paper's ``modified_at``; a page view then costs one primary-key query.
    """
    key = f"papers:similar:{paper.pk}:{paper.modified_at.timestamp()}:{limit}"
    ids = cache.get(key)
    if ids is None:
        with connection.cursor() as cursor:
            cursor.execute(_SIMILAR_SQL, {"id": paper.pk, "terms": SIMILAR_TERMS, "limit": limit})
            ids = [row[0] for row in cursor.fetchall()]
        cache.set(key, ids, SIMILAR_CACHE_SECONDS)
    if not ids:
        return []
    papers = Paper.objects.select_related("daily_entry").defer("search_vector").in_bulk(ids)
    return [papers[i] for i in ids if i in papers]
