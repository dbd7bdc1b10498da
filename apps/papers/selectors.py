"""Reads for papers: querysets that already carry what the pages need."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
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
