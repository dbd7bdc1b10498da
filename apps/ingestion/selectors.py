"""Reads of ingestion: what arXiv announced on a day, for the New page."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, QuerySet

from apps.core.db import nearest_values
from apps.ingestion.models import Announcement
from apps.papers.models import Paper
from apps.papers.selectors import papers_with_author_names

# The New page's tabs: each shows some kinds of announcement.
ANNOUNCEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "new": (Announcement.Kind.NEW,),
    "cross": (Announcement.Kind.CROSS,),
    "replace": (Announcement.Kind.REPLACE, Announcement.Kind.REPLACE_CROSS),
}


def latest_announcement_day() -> dt.date | None:
    return Announcement.objects.aggregate(day=Max("day"))["day"]


def neighbouring_announcement_days(*, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The nearest announcement days before and after ``day``."""
    return nearest_values(Announcement, "day", below=day, above=day)


def _announced(*, day: dt.date, category: str | None) -> QuerySet[Announcement]:
    announcements = Announcement.objects.filter(day=day)
    if category:
        announcements = announcements.filter(paper__categories__contains=[category])
    return announcements


def announcement_counts(*, day: dt.date, category: str | None = None) -> dict[str, int]:
    """How many papers each tab of the day's New page lists."""
    by_kind = dict(
        _announced(day=day, category=category)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return {
        group: sum(by_kind.get(kind, 0) for kind in kinds)
        for group, kinds in ANNOUNCEMENT_GROUPS.items()
    }


def announced_papers(*, day: dt.date, group: str, category: str | None = None) -> QuerySet[Paper]:
    """The day's papers of one tab in arXiv's order, with authors and daily entry."""
    paper_ids = _announced(day=day, category=category).filter(kind__in=ANNOUNCEMENT_GROUPS[group])
    return papers_with_author_names(
        Paper.objects.filter(pk__in=paper_ids.values("paper_id")).defer("search_vector")
    ).order_by("arxiv_id")
