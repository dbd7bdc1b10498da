"""GitHub stars: conditional requests, rate limits, selection, against a real HTTP server."""

import datetime as dt
import itertools
import json
import logging
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.ingestion.github import RATE_LIMITED_UNTIL_KEY, github_stars_refresh, repo_full_name
from apps.ingestion.models import GithubRepoCheck
from apps.ingestion.tasks import refresh_github_stars
from apps.papers.models import Paper
from apps.papers.templatetags.star_tags import compact_count
from tests.factories import make_paper

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "github"
ETAG = 'W/"278a2ecf1b3a73efc4f783445bf093d0"'


def repo_body(stars: int) -> dict:
    """The saved GitHub answer (fixtures/github/repo.json) with ``stars`` stargazers."""
    return {**json.loads((FIXTURES / "repo.json").read_text()), "stargazers_count": stars}


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def paper_with_repo(url: str, *, stars: int | None = None) -> Paper:
    paper = make_paper()
    Paper.objects.filter(pk=paper.pk).update(github_repo=url, github_stars=stars)
    paper.refresh_from_db()
    return paper


def age_checks(hours: float) -> None:
    GithubRepoCheck.objects.update(checked_at=timezone.now() - dt.timedelta(hours=hours))


@pytest.fixture(autouse=True)
def github_api(settings, httpserver):
    settings.GITHUB_API_URL = httpserver.url_for("").rstrip("/")
    settings.GITHUB_TOKEN = ""
    settings.GITHUB_STARS_MAX_AGE_HOURS = 24
    settings.GITHUB_STARS_BATCH = 50
    settings.CONTACT_EMAIL = "ops@paperboard.test"
    return httpserver


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octokit-fixture-org/hello-world", "octokit-fixture-org/hello-world"),
        ("http://www.github.com/Owner/Repo.git", "Owner/Repo"),
        ("https://github.com/owner/repo/tree/main/src?tab=readme#usage", "owner/repo"),
        ("https://github.com/owner/my.repo_v2/", "owner/my.repo_v2"),
        ("https://github.com/owner", None),
        ("https://gitlab.com/owner/repo", None),
        ("https://github.com.evil.example/owner/repo", None),
        ("https://github.com/-bad-/repo", None),
        ("ftp://github.com/owner/repo", None),
        ("", None),
    ],
)
def test_repo_full_name(url, expected):
    assert repo_full_name(url) == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (None, ""),
        (0, "0"),
        (999, "999"),
        (1000, "1k"),
        (1234, "1.2k"),
        (15300, "15.3k"),
        (999_999, "1M"),
        (1_200_000, "1.2M"),
    ],
)
def test_compact_count(count, expected):
    assert compact_count(count) == expected


def test_stars_then_not_modified_with_the_etag_sent_back(github_api):
    paper = paper_with_repo("https://github.com/octokit-fixture-org/hello-world")
    path = "/repos/octokit-fixture-org/hello-world"
    github_api.expect_ordered_request(
        path,
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    ).respond_with_json(repo_body(1234), headers={"ETag": ETAG})
    github_api.expect_ordered_request(path, headers={"If-None-Match": ETAG}).respond_with_data(
        "", status=304, headers={"ETag": ETAG}
    )

    first = github_stars_refresh()

    assert first == {
        "checked": 1,
        "updated": 1,
        "not_modified": 0,
        "missing": 0,
        "rate_limited": False,
    }
    paper.refresh_from_db()
    assert paper.github_stars == 1234
    check = GithubRepoCheck.objects.get(paper=paper)
    assert (check.repo, check.etag, check.status_code) == (
        "octokit-fixture-org/hello-world",
        ETAG,
        200,
    )
    request = github_api.log[0][0]
    assert "ops@paperboard.test" in request.headers["User-Agent"]
    assert "Authorization" not in request.headers
    assert "If-None-Match" not in request.headers

    assert github_stars_refresh()["checked"] == 0  # checked just now: not due

    age_checks(25)
    second = github_stars_refresh()

    assert second["not_modified"] == 1
    assert second["updated"] == 0
    paper.refresh_from_db()
    assert paper.github_stars == 1234
    check.refresh_from_db()
    assert (check.etag, check.status_code) == (ETAG, 304)
    assert check.checked_at > timezone.now() - dt.timedelta(minutes=1)
    assert len(github_api.log) == 2
    github_api.check_assertions()


def test_the_token_is_sent_only_when_set(settings, github_api):
    settings.GITHUB_TOKEN = "github_pat_test"
    paper_with_repo("https://github.com/owner/repo")
    github_api.expect_request(
        "/repos/owner/repo", headers={"Authorization": "Bearer github_pat_test"}
    ).respond_with_json(repo_body(7))

    assert github_stars_refresh()["updated"] == 1
    github_api.check_assertions()


def test_a_missing_repository_loses_its_stars_and_is_asked_again_after_the_max_age(github_api):
    paper = paper_with_repo("https://github.com/owner/deleted", stars=5)
    github_api.expect_request("/repos/owner/deleted").respond_with_json(
        fixture_json("not-found.json"), status=404
    )

    summary = github_stars_refresh()

    assert (summary["missing"], summary["updated"]) == (1, 1)
    paper.refresh_from_db()
    assert paper.github_stars is None
    assert GithubRepoCheck.objects.get(paper=paper).status_code == 404
    assert github_stars_refresh()["checked"] == 0
    assert len(github_api.log) == 1
    age_checks(25)
    assert github_stars_refresh()["missing"] == 1
    assert len(github_api.log) == 2


@pytest.mark.parametrize(
    ("status", "headers", "window"),
    [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "RESET"}, 600),
        (429, {"Retry-After": "120"}, 120),
    ],
)
def test_a_rate_limit_stops_the_run_and_no_request_is_made_until_it_ends(
    github_api, status, headers, window
):
    papers = [paper_with_repo(f"https://github.com/owner/repo{i}", stars=3) for i in range(3)]
    reset = int(time.time()) + 600
    headers = {name: str(reset) if value == "RESET" else value for name, value in headers.items()}
    github_api.expect_request("/repos/owner/repo0").respond_with_json(
        fixture_json("rate-limited.json"), status=status, headers=headers
    )

    summary = github_stars_refresh()

    assert summary == {
        "checked": 0,
        "updated": 0,
        "not_modified": 0,
        "missing": 0,
        "rate_limited": True,
    }
    assert len(github_api.log) == 1
    assert GithubRepoCheck.objects.count() == 0
    assert Paper.objects.filter(pk__in=[p.pk for p in papers], github_stars=3).count() == 3
    assert cache.get(RATE_LIMITED_UNTIL_KEY) == pytest.approx(time.time() + window, abs=5)

    assert github_stars_refresh()["rate_limited"] is True
    assert len(github_api.log) == 1  # the second run asked nothing


def test_the_last_allowed_request_is_kept_and_then_the_run_stops(github_api):
    first = paper_with_repo("https://github.com/owner/a")
    paper_with_repo("https://github.com/owner/b")
    github_api.expect_request("/repos/owner/a").respond_with_json(
        repo_body(10),
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 60)},
    )

    summary = github_stars_refresh()

    assert (summary["checked"], summary["updated"], summary["rate_limited"]) == (1, 1, True)
    first.refresh_from_db()
    assert first.github_stars == 10
    assert len(github_api.log) == 1


def test_papers_without_a_github_repository_are_not_asked(github_api):
    without = make_paper()
    elsewhere = paper_with_repo("https://gitlab.com/owner/repo")
    paper_with_repo("https://github.com/owner/repo")
    github_api.expect_request("/repos/owner/repo").respond_with_json(repo_body(1))

    summary = github_stars_refresh()

    assert summary["checked"] == 2  # the GitLab one is remembered, not asked
    assert [request.path for request, _ in github_api.log] == ["/repos/owner/repo"]
    assert not GithubRepoCheck.objects.filter(paper=without).exists()
    assert GithubRepoCheck.objects.get(paper=elsewhere).repo == ""


def test_the_batch_takes_the_papers_checked_longest_ago_first(settings, github_api):
    settings.GITHUB_STARS_BATCH = 2
    now = timezone.now()
    for name, hours in [("old", 30), ("stale", 26), ("fresh", 1)]:
        paper = paper_with_repo(f"https://github.com/owner/{name}")
        GithubRepoCheck.objects.create(
            paper=paper, repo=f"owner/{name}", checked_at=now - dt.timedelta(hours=hours)
        )
    paper_with_repo("https://github.com/owner/never")
    github_api.expect_request("/repos/owner/never").respond_with_json(repo_body(1))
    github_api.expect_request("/repos/owner/old").respond_with_json(repo_body(2))

    assert github_stars_refresh()["checked"] == 2
    assert [request.path for request, _ in github_api.log] == [
        "/repos/owner/never",
        "/repos/owner/old",
    ]


def test_a_network_error_stops_the_run_and_records_nothing(settings, caplog):
    settings.GITHUB_API_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
    paper_with_repo("https://github.com/owner/repo")

    with caplog.at_level(logging.WARNING, logger="apps.ingestion.github"):
        summary = github_stars_refresh()

    assert summary["checked"] == 0
    assert GithubRepoCheck.objects.count() == 0
    assert "stopped at owner/repo" in caplog.text


def test_a_run_costs_the_same_queries_whatever_the_number_of_papers(github_api):
    numbers = itertools.count()

    def run_for(new_papers: int) -> int:
        for number in itertools.islice(numbers, new_papers):
            paper_with_repo(f"https://github.com/owner/repo{number}", stars=number % 2 or None)
            github_api.expect_request(f"/repos/owner/repo{number}").respond_with_json(
                repo_body(100 + number), headers={"ETag": f'"{number}"'}
            )
        with CaptureQueriesContext(connection) as queries:
            summary = github_stars_refresh()
        assert summary["checked"] == summary["updated"] == new_papers
        return len(queries)

    assert run_for(2) == run_for(12)
    assert Paper.objects.filter(github_stars__gte=100).count() == 14


def test_the_task_runs_the_refresh(github_api):
    paper = paper_with_repo("https://github.com/owner/repo")
    github_api.expect_request("/repos/owner/repo").respond_with_json(repo_body(42))

    result = refresh_github_stars.apply().get()

    assert result["updated"] == 1
    paper.refresh_from_db()
    assert paper.github_stars == 42
