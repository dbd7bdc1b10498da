"""When a digest is due, and which period it covers.

A subscriber's *slot* is their delivery hour in their time zone: every day for daily digests,
every Monday for weekly ones. A slot delivers the latest period that was complete at that
moment, periods closing at midnight UTC (the site's days are UTC dates): a daily slot on
Tuesday 08:00 in Berlin (07:00 UTC) brings Monday's papers; one on Tuesday 08:00 in Tokyo
(Monday 23:00 UTC) brings Sunday's. Local times are real local times across DST changes:
08:00 in New York is 13:00 UTC in winter and 12:00 UTC in summer; an hour that does not exist
on the day clocks spring forward is taken as the hour after the gap. Each slot brings the
period after the one its previous slot brought, across DST changes too: where a change would
move a slot across midnight UTC, the period is reckoned as if the zone kept its summer offset
all year (``period_for_slot``).

The beat task runs hourly; a slot it missed (beat or workers down) is still sent late, up to
``CATCH_UP`` after the slot, and never before the subscription was confirmed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apps.digests.models import Frequency
from apps.papers.periods import Period

UTC = dt.UTC

PERIOD_KIND = {Frequency.DAILY: "day", Frequency.WEEKLY: "week"}
CATCH_UP = {Frequency.DAILY: dt.timedelta(hours=18), Frequency.WEEKLY: dt.timedelta(hours=72)}


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA zone names a subscription may use (not the server's own ``localtime``, nor
    ``Factory``, which is no place)."""
    return frozenset(available_timezones() - {"localtime", "Factory"})


def zone(name: str) -> ZoneInfo:
    """The named zone, UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period_containing(frequency: str, day: dt.date) -> Period:
    """The period a digest of ``frequency`` covers that contains ``day``."""
    return Period.containing(PERIOD_KIND[frequency], day)


def latest_slot(*, frequency: str, time_zone: str, hour: int, now: dt.datetime) -> dt.datetime:
    """The most recent delivery time at or before ``now`` (in UTC)."""
    local_zone = zone(time_zone)
    day = now.astimezone(local_zone).date()
    step = dt.timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        day -= dt.timedelta(days=day.weekday())
        step = dt.timedelta(days=7)
    while True:
        # A time in a spring-forward gap converts with the offset before the gap, i.e. to
        # the first instant after it; an ambiguous autumn time is its first occurrence.
        slot = dt.datetime.combine(day, dt.time(hour), tzinfo=local_zone).astimezone(UTC)
        if slot <= now:
            return slot
        day -= step


def period_for_slot(*, frequency: str, time_zone: str, hour: int, slot: dt.datetime) -> Period:
    """The latest period complete at ``slot`` (of ``hour`` in ``time_zone``) in every season.

    The slot is read as its local date and hour at the zone's largest UTC offset of the year:
    where a DST change moves a slot across midnight UTC (midnight in London is 23:00 UTC in
    summer and 00:00 UTC in winter), its real UTC time would bring one period twice in spring
    and skip one in autumn; read this way, consecutive slots bring consecutive periods.
    """
    local_zone = zone(time_zone)
    local = slot.astimezone(local_zone)
    local_day = local.date()
    if local.time() < dt.time(hour):  # an hour in a gap at the end of the day: the day before
        local_day -= dt.timedelta(days=1)
    largest_offset = max(
        dt.datetime(local_day.year, month, 1, tzinfo=local_zone).utcoffset() for month in (1, 7)
    )
    at_largest_offset = dt.datetime.combine(local_day, dt.time(hour), tzinfo=UTC) - largest_offset
    last_closed_day = at_largest_offset.date() - dt.timedelta(days=1)
    period = period_containing(frequency, last_closed_day)
    if period.end > last_closed_day:  # a week still running: the one before it
        period = period_containing(frequency, period.start - dt.timedelta(days=1))
    return period


def due_period(
    *, frequency: str, time_zone: str, hour: int, now: dt.datetime
) -> tuple[dt.datetime, Period] | None:
    """The slot and period due for subscribers of this zone and hour at ``now``, or None when
    their latest slot is older than the catch-up window."""
    slot = latest_slot(frequency=frequency, time_zone=time_zone, hour=hour, now=now)
    if now - slot > CATCH_UP[frequency]:
        return None
    period = period_for_slot(frequency=frequency, time_zone=time_zone, hour=hour, slot=slot)
    return slot, period
