"""Calendar periods a listing covers: a day, an ISO week or a month.

A ``Period`` is a plain value (both ends inclusive) that pages, feeds and the API share. The
``parse_*`` functions take the strings used in URLs and API parameters (``2026-02-14``,
``2026-W07``, ``2026-02``) and raise ``ValueError`` for anything impossible (``2026-02-30``,
``2026-W54``, ``2026-13``), which callers turn into a 404 or a 400.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from django.urls import reverse

PeriodKind = Literal["day", "week", "month"]

DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def containing(cls, kind: PeriodKind, day: dt.date) -> Period:
        """The period of the given kind that contains ``day``."""
        if kind == "day":
            return cls("day", day, day)
        if kind == "week":
            monday = day - dt.timedelta(days=day.isoweekday() - 1)
            # The last ISO week of year 9999 runs past the last representable date.
            sunday = min(monday, dt.date.max - dt.timedelta(days=6)) + dt.timedelta(days=6)
            return cls("week", monday, sunday)
        if kind == "month":
            last = calendar.monthrange(day.year, day.month)[1]
            return cls("month", day.replace(day=1), day.replace(day=last))
        raise ValueError(f"unknown period kind: {kind!r}")

    @property
    def value(self) -> str:
        """The period as written in URLs and API parameters."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        """A human title: ``Feb 14, 2026``, ``Week 7, 2026 (Feb 9-15)``, ``February 2026``."""
        if self.kind == "day":
            return f"{self.start:%b} {self.start.day}, {self.start.year}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            end = f"{self.end.day}"
            if self.end.month != self.start.month:
                end = f"{self.end:%b} {end}"
            return f"Week {week}, {year} ({self.start:%b} {self.start.day}\N{EN DASH}{end})"
        return f"{self.start:%B} {self.start.year}"

    @property
    def short_label(self) -> str:
        """For previous/next links: ``Feb 14``, ``Week 7``, ``Feb 2026``."""
        if self.kind == "day":
            return f"{self.start:%b} {self.start.day}"
        if self.kind == "week":
            return f"Week {self.start.isocalendar()[1]}"
        return f"{self.start:%b} {self.start.year}"

    def get_absolute_url(self) -> str:
        return reverse(f"papers:{self.kind}", args=[self.start if self.kind == "day" else self])

    def previous(self) -> Period | None:
        """The calendar period just before this one (empty or not); None before year 1."""
        try:
            return Period.containing(self.kind, self.start - dt.timedelta(days=1))
        except OverflowError:
            return None

    def next(self) -> Period | None:
        """The calendar period just after this one (empty or not); None after year 9999."""
        try:
            return Period.containing(self.kind, self.end + dt.timedelta(days=1))
        except OverflowError:
            return None

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def parse_day(value: str) -> Period:
    """``YYYY-MM-DD`` -> the day's period; ValueError for a malformed or impossible date."""
    match = DAY_RE.match(value.strip())
    if not match:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}")
    year, month, day = (int(part) for part in match.groups())
    return Period.containing("day", dt.date(year, month, day))


def parse_week(value: str) -> Period:
    """``YYYY-Www`` (ISO 8601 week) -> the week's period; ValueError for week 0, 54, ..."""
    match = WEEK_RE.match(value.strip())
    if not match:
        raise ValueError(f"not an ISO week (YYYY-Www): {value!r}")
    year, week = (int(part) for part in match.groups())
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"no week {week} in {year}") from exc
    return Period.containing("week", monday)


def parse_month(value: str) -> Period:
    """``YYYY-MM`` -> the month's period; ValueError for month 0 or 13."""
    match = MONTH_RE.match(value.strip())
    if not match:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    year, month = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and year >= 1):
        raise ValueError(f"no month {month} in {year}")
    return Period.containing("month", dt.date(year, month, 1))
