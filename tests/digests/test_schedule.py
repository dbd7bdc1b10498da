"""Delivery slots and the periods they bring, across time zones and DST changes (no database)."""

import datetime as dt
from itertools import pairwise

import pytest

from apps.digests.models import Frequency
from apps.digests.schedule import CATCH_UP, due_period, latest_slot, period_for_slot
from apps.papers.periods import Period

DAILY, WEEKLY = Frequency.DAILY, Frequency.WEEKLY


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def day(value: str) -> Period:
    return Period.containing("day", dt.date.fromisoformat(value))


def week(value: str) -> Period:
    return Period.containing("week", dt.date.fromisoformat(value))


def hourly(start: dt.datetime, end: dt.datetime, minutes: int = 60):
    """Every beat run from ``start`` to ``end`` (inclusive)."""
    while start <= end:
        yield start
        start += dt.timedelta(minutes=minutes)


def deliveries(frequency, time_zone, hour, start, end, minutes=60):
    """The distinct (slot, period) pairs an hourly planner finds due between start and end:
    each is one delivery (the delivery row is unique per subscriber and period)."""
    found = {}
    for now in hourly(start, end, minutes):
        due = due_period(frequency=frequency, time_zone=time_zone, hour=hour, now=now)
        if due is not None:
            slot, period = due
            found.setdefault(period, set()).add(slot)
    return found


@pytest.mark.parametrize(
    ("time_zone", "hour", "now", "slot", "period"),
    [
        # UTC: 08:00 is 08:00; before it, yesterday's slot.
        ("UTC", 8, utc(2026, 11, 24, 8, 0), utc(2026, 11, 24, 8), day("2026-11-23")),
        ("UTC", 8, utc(2026, 11, 24, 7, 59), utc(2026, 11, 23, 8), day("2026-11-22")),
        ("UTC", 0, utc(2026, 11, 24, 0, 0), utc(2026, 11, 24, 0), day("2026-11-23")),
        ("UTC", 23, utc(2026, 11, 24, 12), utc(2026, 11, 23, 23), day("2026-11-22")),
        # Berlin (UTC+1 in winter, +2 in summer): 08:00 local is 07:00 or 06:00 UTC.
        ("Europe/Berlin", 8, utc(2026, 11, 24, 7), utc(2026, 11, 24, 7), day("2026-11-23")),
        ("Europe/Berlin", 8, utc(2026, 7, 14, 6), utc(2026, 7, 14, 6), day("2026-07-13")),
        ("Europe/Berlin", 8, utc(2026, 7, 14, 5, 59), utc(2026, 7, 13, 6), day("2026-07-12")),
        # Tokyo (UTC+9): Tuesday 08:00 local is Monday 23:00 UTC, when Monday (UTC) is not
        # over yet: the slot brings Sunday, the day before the previous one.
        ("Asia/Tokyo", 8, utc(2026, 11, 23, 23), utc(2026, 11, 23, 23), day("2026-11-22")),
        ("Asia/Tokyo", 8, utc(2026, 11, 24, 10), utc(2026, 11, 23, 23), day("2026-11-22")),
        # Tokyo 09:00 is midnight UTC: the UTC day just closed.
        ("Asia/Tokyo", 9, utc(2026, 11, 24, 0), utc(2026, 11, 24, 0), day("2026-11-23")),
        # New York: 08:00 EST is 13:00 UTC before the spring change ...
        ("America/New_York", 8, utc(2026, 3, 7, 13), utc(2026, 3, 7, 13), day("2026-03-06")),
        ("America/New_York", 8, utc(2026, 3, 7, 12), utc(2026, 3, 6, 13), day("2026-03-05")),
        # ... and 08:00 EDT is 12:00 UTC from March 8 ...
        ("America/New_York", 8, utc(2026, 3, 8, 12), utc(2026, 3, 8, 12), day("2026-03-07")),
        ("America/New_York", 8, utc(2026, 3, 9, 12), utc(2026, 3, 9, 12), day("2026-03-08")),
        # ... until November 1, when it is 13:00 UTC again.
        ("America/New_York", 8, utc(2026, 10, 31, 12), utc(2026, 10, 31, 12), day("2026-10-30")),
        ("America/New_York", 8, utc(2026, 11, 1, 12), utc(2026, 10, 31, 12), day("2026-10-30")),
        ("America/New_York", 8, utc(2026, 11, 1, 13), utc(2026, 11, 1, 13), day("2026-10-31")),
        # An unknown zone name is read as UTC.
        ("Mars/Olympus_Mons", 8, utc(2026, 11, 24, 9), utc(2026, 11, 24, 8), day("2026-11-23")),
    ],
)
def test_daily_slot_and_period(time_zone, hour, now, slot, period):
    assert latest_slot(frequency=DAILY, time_zone=time_zone, hour=hour, now=now) == slot
    assert period_for_slot(frequency=DAILY, time_zone=time_zone, hour=hour, slot=slot) == period
    due = due_period(frequency=DAILY, time_zone=time_zone, hour=hour, now=now)
    assert due == ((slot, period) if now - slot <= CATCH_UP[DAILY] else None)


@pytest.mark.parametrize(
    ("time_zone", "hour", "now", "slot", "period"),
    [
        # Monday 2026-11-23, 08:00 UTC: the ISO week that ended on Sunday (W47).
        ("UTC", 8, utc(2026, 11, 23, 8), utc(2026, 11, 23, 8), week("2026-11-16")),
        # Later in the week, and just before the next Monday's slot: still that slot.
        ("UTC", 8, utc(2026, 11, 26, 15), utc(2026, 11, 23, 8), week("2026-11-16")),
        ("UTC", 8, utc(2026, 11, 30, 7, 59), utc(2026, 11, 23, 8), week("2026-11-16")),
        ("Europe/Berlin", 8, utc(2026, 11, 23, 7), utc(2026, 11, 23, 7), week("2026-11-16")),
        # Tokyo's Monday 08:00 is Sunday 23:00 UTC: that week is not over, the one before is.
        ("Asia/Tokyo", 8, utc(2026, 11, 22, 23), utc(2026, 11, 22, 23), week("2026-11-09")),
        # New York's Monday after the spring change: 08:00 EDT = 12:00 UTC.
        ("America/New_York", 8, utc(2026, 3, 9, 12), utc(2026, 3, 9, 12), week("2026-03-02")),
        ("America/New_York", 8, utc(2026, 3, 2, 13), utc(2026, 3, 2, 13), week("2026-02-23")),
        # The first ISO week of 2027 starts on Monday 2027-01-04; W53 of 2026 ended the day before.
        ("UTC", 8, utc(2027, 1, 4, 8), utc(2027, 1, 4, 8), week("2026-12-28")),
    ],
)
def test_weekly_slot_is_on_monday_and_brings_the_last_complete_iso_week(
    time_zone, hour, now, slot, period
):
    assert latest_slot(frequency=WEEKLY, time_zone=time_zone, hour=hour, now=now) == slot
    assert period_for_slot(frequency=WEEKLY, time_zone=time_zone, hour=hour, slot=slot) == period
    assert period.kind == "week"
    assert period.start.weekday() == 0
    assert period.end.weekday() == 6


def test_weekly_period_value_is_the_iso_week():
    assert week("2026-11-16").value == "2026-W47"
    assert week("2026-12-28").value == "2026-W53"


def test_catch_up_window_boundaries():
    slot = utc(2026, 11, 24, 8)
    at_limit = slot + CATCH_UP[DAILY]
    assert due_period(frequency=DAILY, time_zone="UTC", hour=8, now=at_limit) == (
        slot,
        day("2026-11-23"),
    )
    too_late = at_limit + dt.timedelta(seconds=1)
    assert due_period(frequency=DAILY, time_zone="UTC", hour=8, now=too_late) is None
    # The next slot opens a new window.
    next_slot = slot + dt.timedelta(days=1)
    assert due_period(frequency=DAILY, time_zone="UTC", hour=8, now=next_slot) == (
        next_slot,
        day("2026-11-24"),
    )

    monday = utc(2026, 11, 23, 8)
    at_limit = monday + CATCH_UP[WEEKLY]
    assert due_period(frequency=WEEKLY, time_zone="UTC", hour=8, now=at_limit) == (
        monday,
        week("2026-11-16"),
    )
    too_late = at_limit + dt.timedelta(seconds=1)
    assert due_period(frequency=WEEKLY, time_zone="UTC", hour=8, now=too_late) is None


@pytest.mark.parametrize("hour", range(24))
def test_every_hour_of_new_york_is_delivered_once_a_day_across_both_dst_changes(hour):
    """Every local day of March and of October-November 2026 gets exactly one slot, whatever
    the hour: none skipped by the spring gap, none doubled by the autumn repeat."""
    for start, end in [
        (utc(2026, 3, 1), utc(2026, 3, 31)),
        (utc(2026, 10, 20), utc(2026, 11, 15)),
    ]:
        found = deliveries(DAILY, "America/New_York", hour, start, end)
        assert all(len(slots) == 1 for slots in found.values()), found
        days = sorted(period.start for period in found)
        assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))]
        assert (end - start).days <= len(days) <= (end - start).days + 1


@pytest.mark.parametrize(
    ("time_zone", "hour", "spring", "autumn"),
    [
        # Slots that DST moves across midnight UTC: 00:00 in London is 23:00 UTC in summer
        # and 00:00 UTC in winter; 19:00 in New York is 23:00 UTC or 00:00 UTC.
        ("Europe/London", 0, dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
        ("Europe/Berlin", 1, dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
        ("America/New_York", 19, dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
        ("Australia/Sydney", 10, dt.date(2026, 10, 4), dt.date(2026, 4, 5)),
        # Nuuk springs forward at the end of a day: 23:00 on March 28 does not exist.
        ("America/Nuuk", 23, dt.date(2026, 3, 28), dt.date(2026, 10, 24)),
    ],
)
def test_slot_moved_across_midnight_utc_by_dst_brings_each_period_once(
    time_zone, hour, spring, autumn
):
    """Read at its real UTC time, such a slot would bring one day twice in spring (and the
    subscriber nothing that day) and skip one day in autumn: every period is delivered once,
    by consecutive slots."""
    for change in (spring, autumn):
        start = dt.datetime.combine(change - dt.timedelta(days=4), dt.time(), tzinfo=dt.UTC)
        end = start + dt.timedelta(days=8)
        found = deliveries(DAILY, time_zone, hour, start, end, minutes=30)
        assert all(len(slots) == 1 for slots in found.values()), found
        days = sorted(period.start for period in found)
        assert days == [days[0] + dt.timedelta(days=n) for n in range(len(days))]
        assert len(days) >= 7
        slots = sorted(slot for slots in found.values() for slot in slots)
        assert [period.start for period in sorted(found, key=lambda p: min(found[p]))] == days
        assert all(later - earlier >= dt.timedelta(hours=22) for earlier, later in pairwise(slots))

        weeks = deliveries(
            WEEKLY, time_zone, hour, start - dt.timedelta(days=14), end + dt.timedelta(days=14)
        )
        assert all(len(slots) == 1 for slots in weeks.values()), weeks
        mondays = sorted(period.start for period in weeks)
        assert mondays == [mondays[0] + dt.timedelta(weeks=n) for n in range(len(mondays))]
        assert len(mondays) >= 4


def test_hour_in_the_spring_forward_gap_is_delivered_once_just_after_the_gap():
    # 2026-03-08 02:00 does not exist in New York (01:59 EST is followed by 03:00 EDT).
    found = deliveries(DAILY, "America/New_York", 2, utc(2026, 3, 7, 6), utc(2026, 3, 10, 6))
    assert found == {
        day("2026-03-06"): {utc(2026, 3, 7, 7)},  # 02:00 EST
        day("2026-03-07"): {utc(2026, 3, 8, 7)},  # the gap: 03:00 EDT, just after it
        day("2026-03-08"): {utc(2026, 3, 9, 6)},  # 02:00 EDT
        day("2026-03-09"): {utc(2026, 3, 10, 6)},
    }


def test_hour_repeated_in_the_autumn_is_delivered_once_at_its_first_occurrence():
    # 2026-11-01 01:00 happens twice in New York: 05:00 UTC (EDT), then 06:00 UTC (EST).
    found = deliveries(DAILY, "America/New_York", 1, utc(2026, 10, 31), utc(2026, 11, 2, 12))
    assert found == {
        day("2026-10-30"): {utc(2026, 10, 31, 5)},
        day("2026-10-31"): {utc(2026, 11, 1, 5)},
        day("2026-11-01"): {utc(2026, 11, 2, 6)},
    }
    during_repeat = utc(2026, 11, 1, 6, 30)  # 01:30 EST, the second 01:30 of the day
    assert due_period(frequency=DAILY, time_zone="America/New_York", hour=1, now=during_repeat) == (
        utc(2026, 11, 1, 5),
        day("2026-10-31"),
    )


def test_each_week_is_delivered_once_on_mondays_across_a_dst_change():
    found = deliveries(WEEKLY, "America/New_York", 8, utc(2026, 2, 20), utc(2026, 4, 1))
    assert found == {
        week("2026-02-16"): {utc(2026, 2, 23, 13)},
        week("2026-02-23"): {utc(2026, 3, 2, 13)},
        week("2026-03-02"): {utc(2026, 3, 9, 12)},
        week("2026-03-09"): {utc(2026, 3, 16, 12)},
        week("2026-03-16"): {utc(2026, 3, 23, 12)},
        week("2026-03-23"): {utc(2026, 3, 30, 12)},
    }
    assert all(slot.astimezone(dt.UTC).weekday() == 0 for slots in found.values() for slot in slots)
