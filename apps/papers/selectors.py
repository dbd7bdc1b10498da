"""Reads for papers: querysets that already carry what the pages need."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Min, Prefetch, QuerySet

from apps.papers.models import Authorship, DailyEntry


def _authorships() -> Prefetch:
    return Prefetch(
        "paper__authorships",
        queryset=Authorship.objects.select_related("author").order_by("position"),
    )


def daily_entries_for_day(*, day: dt.date) -> QuerySet[DailyEntry]:
    """The day's papers ranked by upvotes; ties go to the newest submission."""
    return (
        DailyEntry.objects.filter(day=day)
        .select_related("paper", "submitted_by")
        .prefetch_related(_authorships())
        .order_by("-paper__upvotes_count", "-submitted_at", "paper__arxiv_id")
    )


def latest_day_with_papers() -> dt.date | None:
    return DailyEntry.objects.aggregate(day=Max("day"))["day"]


def neighbouring_days(*, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest earlier and later days that have papers (empty days are skipped)."""
    previous_day = DailyEntry.objects.filter(day__lt=day).aggregate(d=Max("day"))["d"]
    next_day = DailyEntry.objects.filter(day__gt=day).aggregate(d=Min("day"))["d"]
    return previous_day, next_day
