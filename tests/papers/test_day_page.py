import datetime as dt

import pytest

from tests.factories import make_entry, make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def _fill_day(day: dt.date, count: int, *, authors: int = 6) -> None:
    submitter = make_user()
    for i in range(count):
        make_entry(
            day=day,
            submitted_by=submitter,
            title=f"Paper {day} #{i}",
            authors=[f"Author {i}-{j}" for j in range(authors)],
        )


def test_day_page_lists_the_days_papers_with_authors_and_abstract(client):
    grace = make_user("grace", display_name="Grace H.")
    make_entry(
        day=DAY,
        submitted_by=grace,
        title="ALLoRA: Adaptive Learning Rate Mitigates LoRA Fatal Flaws",
        abstract="Low-Rank Adaptation (LoRA) is the bread and butter of LLM finetuning.",
        authors=["Hai Huang", "Randall Balestriero"],
    )
    make_entry(day=DAY - dt.timedelta(days=1), title="Yesterday's paper")

    response = client.get(f"/papers/date/{DAY}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "ALLoRA: Adaptive Learning Rate Mitigates LoRA Fatal Flaws" in html
    assert "Hai Huang, Randall Balestriero" in html
    assert "bread and butter" in html
    assert (
        'Submitted by <a href="/users/grace"><bdi class="user-name">Grace H.</bdi> '
        '<span class="user-handle">@grace</span></a>'
    ) in html
    assert "Yesterday&#x27;s paper" not in html
    assert "grace@example.org" not in html


def test_long_author_lists_are_shortened_with_et_al(client):
    make_entry(day=DAY, authors=[f"Author {i}" for i in range(9)])
    html = client.get(f"/papers/date/{DAY}").content.decode()
    assert "Author 3 et al." in html
    assert "Author 4" not in html


def test_papers_are_ranked_by_upvotes_then_newest_submission(client):
    at = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    make_entry(day=DAY, title="Few votes", upvotes=2, submitted_at=at)
    make_entry(day=DAY, title="Tied older", upvotes=5, submitted_at=at)
    make_entry(day=DAY, title="Tied newer", upvotes=5, submitted_at=at + dt.timedelta(hours=1))
    html = client.get(f"/papers/date/{DAY}").content.decode()
    assert html.index("Tied newer") < html.index("Tied older") < html.index("Few votes")


def test_home_shows_the_latest_day_with_papers(client):
    make_entry(day=DAY - dt.timedelta(days=3), title="Older day")
    make_entry(day=DAY, title="Latest day")
    html = client.get("/").content.decode()
    assert "Latest day" in html
    assert "Older day" not in html
    assert client.get("/papers").content.decode().count("paper-card") == 1


def test_previous_and_next_links_skip_days_without_papers(client):
    make_entry(day=DAY - dt.timedelta(days=4))
    make_entry(day=DAY)
    make_entry(day=DAY + dt.timedelta(days=2))
    html = client.get(f"/papers/date/{DAY}").content.decode()
    assert f'href="/papers/date/{DAY - dt.timedelta(days=4)}"' in html
    assert f'href="/papers/date/{DAY + dt.timedelta(days=2)}"' in html


def test_empty_site_and_empty_day_render_a_friendly_page(client):
    assert "No papers yet" in client.get("/").content.decode()
    assert "No papers on" in client.get(f"/papers/date/{DAY}").content.decode()


@pytest.mark.parametrize(
    "bad", ["2026-02-30", "2026-13-01", "2026-11-32", "0000-01-01", "20261120"]
)
def test_impossible_dates_are_a_404_not_an_error(client, bad):
    response = client.get(f"/papers/date/{bad}")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_day_page_query_count_does_not_grow_with_papers(client, django_assert_max_num_queries):
    _fill_day(DAY, 3)
    _fill_day(DAY + dt.timedelta(days=1), 30)
    with django_assert_max_num_queries(6) as small:
        client.get(f"/papers/date/{DAY}")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(f"/papers/date/{DAY + dt.timedelta(days=1)}")
    assert response.content.decode().count("paper-card") == 30
    assert len(large.captured_queries) == len(small.captured_queries)


def test_versioned_id_redirects_to_the_plain_paper_url(client):
    entry = make_entry(day=DAY, arxiv_id="2410.09692")
    response = client.get("/papers/2410.09692v3")
    assert response.status_code == 301
    assert response["Location"] == "/papers/2410.09692"
    assert entry.paper.title in client.get("/papers/2410.09692").content.decode()


def test_unknown_paper_is_a_404(client):
    assert client.get("/papers/2410.99999").status_code == 404
