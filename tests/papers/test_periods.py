import datetime as dt

import pytest

from apps.papers.periods import Period, parse_day, parse_month, parse_week


def test_parse_day_week_month_give_inclusive_bounds_and_round_trip():
    day = parse_day("2026-02-14")
    week = parse_week("2026-W07")
    month = parse_month("2026-02")
    assert (day.start, day.end) == (dt.date(2026, 2, 14), dt.date(2026, 2, 14))
    assert (week.start, week.end) == (dt.date(2026, 2, 9), dt.date(2026, 2, 15))
    assert (month.start, month.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert [day.value, week.value, month.value] == ["2026-02-14", "2026-W07", "2026-02"]


def test_iso_week_one_can_start_in_the_previous_year():
    week = parse_week("2025-W01")
    assert week.start == dt.date(2024, 12, 30)
    assert Period.containing("week", dt.date(2024, 12, 31)).value == "2025-W01"


def test_week_53_exists_only_in_long_years():
    assert parse_week("2026-W53").end == dt.date(2027, 1, 3)
    with pytest.raises(ValueError, match="no week 53"):
        parse_week("2025-W53")


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (parse_day, "2026-02-30"),
        (parse_day, "2026-13-01"),
        (parse_day, "0000-01-01"),
        (parse_day, "2026-2-1"),
        (parse_week, "2026-W54"),
        (parse_week, "2026-W00"),
        (parse_week, "2026-W7"),
        (parse_month, "2026-13"),
        (parse_month, "2026-00"),
        (parse_month, "0000-05"),
        (parse_month, "february"),
    ],
)
def test_impossible_or_malformed_periods_raise_value_error(parse, value):
    with pytest.raises(ValueError):  # noqa: PT011 - each parser words its own message
        parse(value)


def test_previous_and_next_are_the_adjacent_calendar_periods():
    assert parse_month("2026-01").previous() == parse_month("2025-12")
    assert parse_week("2026-W53").next() == parse_week("2027-W01")
    assert parse_day("2024-02-28").next() == parse_day("2024-02-29")


def test_edges_of_the_calendar_have_no_neighbour_instead_of_crashing():
    assert parse_day("0001-01-01").previous() is None
    assert parse_month("9999-12").next() is None
    assert parse_week("9999-W52").end == dt.date(9999, 12, 31)


def test_labels_read_naturally():
    assert parse_day("2026-02-14").label == "Feb 14, 2026"
    assert parse_week("2026-W07").label == "Week 7, 2026 (Feb 9\N{EN DASH}15)"
    assert parse_week("2026-W53").label == "Week 53, 2026 (Dec 28\N{EN DASH}Jan 3)"
    assert parse_month("2026-02").label == "February 2026"
