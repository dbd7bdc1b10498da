import datetime as dt

import pytest

from apps.papers.periods import Period, parse_day, parse_month, parse_week
from tests.factories import make_entry, make_user


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
    assert [parse_day("2026-02-14").short_label, parse_week("2026-W07").short_label] == [
        "Feb 14",
        "Week 7",
    ]
    assert parse_month("2026-02").short_label == "Feb 2026"


# --- Period pages ---------------------------------------------------------------------------

MONDAY = dt.date(2026, 2, 9)  # ISO week 2026-W07


def _ids(response) -> list[str]:
    return [entry.paper.arxiv_id for entry in response.context["entries"]]


@pytest.fixture
def weeks_of_papers():
    """Papers on three days of one week, one day of the week after, and one much later."""
    make_entry(day=MONDAY, arxiv_id="2602.00001", upvotes=3)
    make_entry(day=MONDAY + dt.timedelta(days=2), arxiv_id="2602.00002", upvotes=9)
    make_entry(day=MONDAY + dt.timedelta(days=6), arxiv_id="2602.00003", upvotes=5)
    make_entry(day=MONDAY + dt.timedelta(days=7), arxiv_id="2602.00004", upvotes=1)
    make_entry(day=dt.date(2026, 4, 20), arxiv_id="2604.00005", upvotes=2)


@pytest.mark.django_db
def test_week_page_ranks_the_whole_iso_week_by_upvotes(client, weeks_of_papers):
    response = client.get("/papers/week/2026-W07")
    assert response.status_code == 200
    assert _ids(response) == ["2602.00002", "2602.00003", "2602.00001"]
    assert "Week 7, 2026" in response.text


@pytest.mark.django_db
def test_month_page_covers_every_day_of_the_month(client, weeks_of_papers):
    response = client.get("/papers/month/2026-02")
    assert _ids(response) == ["2602.00002", "2602.00003", "2602.00001", "2602.00004"]
    assert "February 2026" in response.text


@pytest.mark.django_db
def test_day_page_shows_only_that_day(client, weeks_of_papers):
    response = client.get("/papers/date/2026-02-11")
    assert _ids(response) == ["2602.00002"]


@pytest.mark.django_db
def test_previous_and_next_links_skip_empty_periods(client, weeks_of_papers):
    day = client.get("/papers/date/2026-02-11").text
    assert 'rel="prev" href="/papers/date/2026-02-09"' in day
    assert 'rel="next" href="/papers/date/2026-02-15"' in day
    week = client.get("/papers/week/2026-W08").text
    assert 'rel="prev" href="/papers/week/2026-W07"' in week
    assert 'rel="next" href="/papers/week/2026-W17"' in week  # W09..W16 are empty
    month = client.get("/papers/month/2026-04").text
    assert 'rel="prev" href="/papers/month/2026-02"' in month  # March is empty
    assert 'rel="next"' not in month


@pytest.mark.django_db
def test_an_empty_period_is_a_page_with_links_to_its_neighbours(client, weeks_of_papers):
    response = client.get("/papers/month/2026-03")
    assert response.status_code == 200
    assert "No papers in March 2026" in response.text
    assert 'rel="prev" href="/papers/month/2026-02"' in response.text
    assert 'rel="next" href="/papers/month/2026-04"' in response.text


@pytest.mark.django_db
def test_ties_go_to_the_newest_submission_then_the_arxiv_id(client):
    at = dt.datetime(2026, 2, 9, 9, tzinfo=dt.UTC)
    make_entry(day=MONDAY, arxiv_id="2602.00010", upvotes=4, submitted_at=at)
    make_entry(
        day=MONDAY, arxiv_id="2602.00011", upvotes=4, submitted_at=at + dt.timedelta(hours=1)
    )
    make_entry(day=MONDAY, arxiv_id="2602.00013", upvotes=4, submitted_at=at)
    make_entry(day=MONDAY, arxiv_id="2602.00012", upvotes=4, submitted_at=at)
    make_entry(day=MONDAY, arxiv_id="2602.00014", upvotes=5, submitted_at=at)
    response = client.get("/papers/date/2026-02-09")
    assert _ids(response) == ["2602.00014", "2602.00011", "2602.00010", "2602.00012", "2602.00013"]


@pytest.mark.django_db
def test_home_and_papers_show_the_latest_day_with_papers(client, weeks_of_papers):
    for url in ("/", "/papers"):
        response = client.get(url)
        assert _ids(response) == ["2604.00005"]
        assert "Apr 20, 2026" in response.text


@pytest.mark.django_db
def test_home_without_any_paper_says_so(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No papers yet" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2026-02-30",
        "/papers/date/2026-13-01",
        "/papers/date/0000-01-01",
        "/papers/week/2026-W54",
        "/papers/week/2025-W53",
        "/papers/week/2026-W00",
        "/papers/month/2026-13",
        "/papers/month/2026-00",
        "/papers/month/0000-01",
        "/papers/week/2026-7",
        "/papers/month/2026-1",
    ],
)
def test_impossible_dates_weeks_and_months_are_a_clear_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.django_db
def test_tabs_link_the_periods_around_the_shown_day(client, weeks_of_papers):
    html = client.get("/papers/date/2026-02-11").text
    assert 'href="/papers/date/2026-02-11" aria-current="page">Daily' in html
    assert 'href="/papers/week/2026-W07">Weekly' in html
    assert 'href="/papers/month/2026-02">Monthly' in html
    assert 'href="/papers/trending">Trending' in html


@pytest.mark.django_db
def test_date_picker_is_a_plain_get_form_that_redirects_to_the_period(client):
    html = client.get("/").text
    assert 'action="/papers/date"' in html
    assert 'type="date" name="date"' in html
    response = client.get("/papers/date", {"date": "2026-02-11"})
    assert response.status_code == 302
    assert response["Location"] == "/papers/date/2026-02-11"
    response = client.get("/papers/date", {"date": "2026-02-11", "kind": "week"})
    assert response["Location"] == "/papers/week/2026-W07"
    response = client.get("/papers/date", {"date": "2026-02-11", "kind": "month"})
    assert response["Location"] == "/papers/month/2026-02"


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "yesterday", "2026-02-30", "9" * 5000, "2026-02-11'--"])
def test_date_picker_rejects_bad_dates_with_a_400_and_a_message(client, value):
    response = client.get("/papers/date", {"date": value})
    assert response.status_code == 400
    assert "is not a date" in response.text


@pytest.mark.django_db
def test_long_periods_are_paginated_and_a_bad_page_number_is_harmless(client):
    for i in range(55):
        make_entry(day=MONDAY, arxiv_id=f"2602.{i + 100:05d}", upvotes=i)
    first = client.get("/papers/date/2026-02-09")
    assert len(first.context["entries"]) == 50
    assert "Page 1 of 2" in first.text
    second = client.get("/papers/date/2026-02-09", {"p": "2"})
    assert _ids(second) == [f"2602.{i + 100:05d}" for i in range(4, -1, -1)]
    for bad in ("0", "-1", "abc", "99999999999999999999"):
        assert client.get("/papers/date/2026-02-09", {"p": bad}).status_code == 200


@pytest.mark.django_db
def test_more_papers_with_htmx_returns_just_the_next_cards_and_pager(client):
    for i in range(105):
        make_entry(day=MONDAY, arxiv_id=f"2602.{i + 100:05d}", upvotes=i)
    page = client.get("/papers/date/2026-02-09").text
    assert 'hx-get="?p=2" hx-target="closest .pager" hx-swap="outerHTML"' in page
    fragment = client.get("/papers/date/2026-02-09", {"p": "2"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.text
    assert "<html" not in html
    assert html.count('class="paper-card"') == 50
    assert "2602.00154" in html  # rank 51
    assert 'hx-get="?p=3"' in html
    assert "Higher ranked" not in html  # the cards above are already on the page
    assert "HX-Request" in fragment["Vary"]


def _fill(day: dt.date, count: int, start: int) -> None:
    users = [make_user() for _ in range(2)]
    for i in range(count):
        make_entry(
            day=day + dt.timedelta(days=i % 5),
            arxiv_id=f"2602.{start + i:05d}",
            submitted_by=users[i % 2],
            upvotes=i,
            authors=[f"Author {start + i} {k}" for k in range(6)],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/papers/date/2026-02-09", "/papers/week/2026-W07", "/papers/month/2026-02"]
)
def test_period_pages_use_a_constant_number_of_queries(client, django_assert_max_num_queries, url):
    _fill(MONDAY, 3, 1)
    with django_assert_max_num_queries(5):
        small = client.get(url)
    _fill(MONDAY, 30, 100)
    with django_assert_max_num_queries(5):
        large = client.get(url)
    assert len(large.context["entries"]) > len(small.context["entries"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "week_link"),
    [
        ("/papers/date/0001-01-01", "/papers/week/0001-W01"),
        ("/papers/date/0999-06-15", "/papers/week/0999-W24"),
        ("/papers/month/0001-01", "/papers/week/0001-W01"),
    ],
)
def test_periods_before_year_1000_render_with_four_digit_links(client, url, week_link):
    response = client.get(url)
    assert response.status_code == 200
    assert f'href="{week_link}"' in response.text
