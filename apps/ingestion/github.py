"""GitHub stars of papers' code repositories, read from GitHub's REST API by a periodic task.

Polite by construction: each repository is asked at most once per GITHUB_STARS_MAX_AGE_HOURS,
with the ETag of its last answer (a 304 costs nothing against the rate limit), and a run stops
at the first sign of a rate limit and remembers until when, so that no run asks before then.
Answers are written together at the end of a run: a run costs a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.ingestion.models import GithubRepoCheck
from apps.papers.models import Paper

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
TIMEOUT = (5, 10)  # connect, read (seconds)
# A run starts no request after this long, well inside the Celery task's soft time limit.
RUN_BUDGET_SECONDS = 60
# How long to wait after a rate limit that does not say when it ends, and at most.
DEFAULT_WAIT_SECONDS = 60
MAX_WAIT_SECONDS = 3600
RATE_LIMITED_UNTIL_KEY = "ingestion:github:rate-limited-until"

_HOSTS = {"github.com", "www.github.com"}
_OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_GONE = {404, 410, 451}  # no such repository, or blocked (451): no stars


def repo_full_name(url: str) -> str | None:
    """``"owner/name"`` of a github.com repository URL (any page in it), else None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in _HOSTS:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not (_OWNER_RE.match(owner) and _NAME_RE.match(name)) or name in {".", ".."}:
        return None
    return f"{owner}/{name}"


@dataclass
class StarsSummary:
    checked: int = 0
    updated: int = 0
    not_modified: int = 0
    missing: int = 0
    rate_limited: bool = False


def github_stars_refresh(*, limit: int | None = None) -> dict:
    """Ask GitHub for the stars of the papers whose repository was checked longest ago.

    ``limit`` papers at most (default GITHUB_STARS_BATCH). Returns the counts of
    ``StarsSummary``; ``rate_limited`` is True if the run stopped for, or did not start
    because of, GitHub's rate limit.
    """
    summary = StarsSummary()
    until = cache.get(RATE_LIMITED_UNTIL_KEY)
    if until is not None and until > time.time():
        logger.info("GitHub stars: rate limited for %.0f s more, not asking", until - time.time())
        summary.rate_limited = True
        return asdict(summary)

    papers = _papers_due(limit if limit is not None else settings.GITHUB_STARS_BATCH)
    checks: list[GithubRepoCheck] = []
    changed: list[Paper] = []
    deadline = time.monotonic() + RUN_BUDGET_SECONDS
    with requests.Session() as session:
        session.headers.update(_headers())
        for paper in papers:
            if time.monotonic() > deadline:
                logger.info("GitHub stars: out of time, the rest waits for the next run")
                break
            outcome = _ask(session, paper, summary)
            if outcome is None:
                break
            check, stars, stop = outcome
            checks.append(check)
            summary.checked += 1
            if stars != paper.github_stars:
                paper.github_stars = stars
                changed.append(paper)
            if stop:
                break

    summary.updated = len(changed)
    with transaction.atomic():
        GithubRepoCheck.objects.bulk_create(
            checks,
            update_conflicts=True,
            unique_fields=["paper"],
            update_fields=["repo", "etag", "checked_at", "status_code"],
        )
        Paper.objects.bulk_update(changed, ["github_stars"])
    logger.info("GitHub stars: %s", asdict(summary))
    return asdict(summary)


def _papers_due(limit: int) -> list[Paper]:
    """Papers with a repository never checked or checked over the max age ago, oldest first."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.GITHUB_STARS_MAX_AGE_HOURS)
    return list(
        Paper.objects.exclude(github_repo="")
        .filter(
            Q(github_check__isnull=True)
            | Q(github_check__checked_at__isnull=True)
            | Q(github_check__checked_at__lt=cutoff)
        )
        .select_related("github_check")
        .only("github_repo", "github_stars", "github_check__repo", "github_check__etag")
        .order_by(F("github_check__checked_at").asc(nulls_first=True), "pk")[:limit]
    )


def _headers() -> dict[str, str]:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"Paperboard (+mailto:{settings.CONTACT_EMAIL})",
    }
    if settings.GITHUB_TOKEN:
        headers["Authorization"] = f"Bearer {settings.GITHUB_TOKEN}"
    return headers


def _ask(
    session: requests.Session, paper: Paper, summary: StarsSummary
) -> tuple[GithubRepoCheck, int | None, bool] | None:
    """Ask for one paper's repository: (its check row, its stars, stop the run after it?).

    None when nothing was learnt and the run must stop (network error, rate limit).
    """
    previous = getattr(paper, "github_check", None)
    repo = repo_full_name(paper.github_repo)
    check = GithubRepoCheck(paper=paper, repo=repo or "", checked_at=timezone.now())
    if repo is None:  # not a repository's address: nothing to ask, look again after max age
        summary.missing += 1
        return check, None, False
    etag = previous.etag if previous is not None and previous.repo == repo else ""
    try:
        response = session.get(
            f"{settings.GITHUB_API_URL}/repos/{repo}",
            headers={"If-None-Match": etag} if etag else {},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.warning("GitHub stars: stopped at %s: %s", repo, exc)
        return None

    status = check.status_code = response.status_code
    wait = _rate_limit_wait(response)
    if wait is not None:
        _remember_rate_limit(wait)
        summary.rate_limited = True
        if status in (403, 429):  # refused: nothing learnt
            logger.warning("GitHub stars: rate limited (HTTP %s) for %.0f s", status, wait)
            return None
    stop = wait is not None  # that was the last request allowed: keep its answer, ask no more
    if status == 304:
        summary.not_modified += 1
        check.etag = etag
        return check, paper.github_stars, stop
    if status == 200:
        stars = _stargazers(response)
        if stars is not None:
            check.etag = response.headers.get("ETag", "")[:200]
            return check, stars, stop
    elif status in _GONE:
        summary.missing += 1
        return check, None, stop
    # An answer we cannot use: keep what we knew and ask again after max age. A refused token
    # or an error of GitHub's would fail every request alike, so the run stops there.
    logger.warning("GitHub stars: unexpected answer for %s: HTTP %s", repo, status)
    check.etag = etag
    return check, paper.github_stars, stop or status == 401 or status >= 500


def _stargazers(response: requests.Response) -> int | None:
    try:
        stars = response.json()["stargazers_count"]
    except (ValueError, KeyError, TypeError):
        return None
    return stars if isinstance(stars, int) and stars >= 0 else None


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds until the rate limit that ``response`` reports has passed, or None.

    GitHub's advice: wait for Retry-After if given, else until X-RateLimit-Reset if no requests
    remain, else (a secondary rate limit) at least a minute.
    """
    headers = response.headers
    if response.status_code in (403, 429) and "Retry-After" in headers:
        wait = _number(headers["Retry-After"])
    elif headers.get("X-RateLimit-Remaining") == "0":
        reset = _number(headers.get("X-RateLimit-Reset", ""))
        wait = None if reset is None else reset - time.time()
    elif response.status_code == 429 or (
        response.status_code == 403 and "rate limit" in response.text.lower()
    ):
        wait = None
    else:
        return None
    return min(max(wait if wait is not None else DEFAULT_WAIT_SECONDS, 1.0), MAX_WAIT_SECONDS)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _remember_rate_limit(wait: float) -> None:
    cache.set(RATE_LIMITED_UNTIL_KEY, time.time() + wait, timeout=math.ceil(wait))
