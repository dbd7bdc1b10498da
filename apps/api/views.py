"""The JSON API, shaped like the Hugging Face papers API so that ``huggingface_hub`` works as is.

Errors are ``{"error": message}`` (the Hub's shape, which the client shows) with a 4xx status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.api.payloads import listing_item, paper_payload
from apps.core.client_limits import client_ratelimit_hit, retry_after
from apps.core.ratelimit import RateLimitExceeded
from apps.core.shared_cache import shared_page
from apps.papers import periods, selectors
from apps.papers.arxiv_ids import split_version
from apps.papers.models import Paper
from apps.papers.search import MAX_RESULTS, papers_in_order, parse_search, ranked_paper_ids

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_PAGE = 10_000
# Django's username alphabet; anything else cannot name a submitter (and NUL breaks SQL).
USERNAME_RE = re.compile(r"[\w.@+-]{1,150}")
SORTS = {"publishedAt": "published", "trending": "trending"}
PERIOD_PARSERS = {
    "date": periods.parse_day,
    "week": periods.parse_week,
    "month": periods.parse_month,
}


class ApiError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_view(view: Callable[..., Any]) -> Callable[..., JsonResponse]:
    """GET only; the view's data as JSON, an ``ApiError`` as ``{"error": ...}``; CORS open."""

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            client_ratelimit_hit(request, "api")
            data = view(request, *args, **kwargs)
        except ApiError as exc:
            response = JsonResponse({"error": exc.message}, status=exc.status)
        except RateLimitExceeded as exc:
            response = retry_after(JsonResponse({"error": str(exc)}, status=429), exc)
        else:
            response = (
                data
                if isinstance(data, HttpResponse)  # a redirect
                else JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})
            )
        # Public, read-only data without cookies: any web page may read it.
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper


def _int_param(request: HttpRequest, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"'{name}' must be an integer between {low} and {high}") from None
    if not low <= value <= high:
        raise ApiError(f"'{name}' must be an integer between {low} and {high}")
    return value


def _period(request: HttpRequest) -> periods.Period | None:
    given = [name for name in PERIOD_PARSERS if request.GET.get(name)]
    if len(given) > 1:
        raise ApiError("Give at most one of 'date', 'week' and 'month'")
    if not given:
        return None
    name = given[0]
    try:
        return PERIOD_PARSERS[name](request.GET[name])
    except ValueError:
        examples = {"date": "2025-02-14", "week": "2025-W07", "month": "2025-02"}
        raise ApiError(f"'{name}' is not a valid {name}, e.g. {examples[name]}") from None


def _listing(papers: list[Paper]) -> list[dict[str, Any]]:
    claimed = selectors.claimed_author_slots(paper_ids=[paper.pk for paper in papers])
    return [listing_item(paper, claimed) for paper in papers]


@shared_page
@json_view
def daily_papers(request: HttpRequest) -> list[dict[str, Any]]:
    """``list_daily_papers``: the daily list, optionally for a date/week/month or a submitter."""
    sort = request.GET.get("sort") or "publishedAt"
    if sort not in SORTS:
        raise ApiError("'sort' must be 'publishedAt' or 'trending'")
    limit = _int_param(request, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    page = _int_param(request, "p", default=0, low=0, high=MAX_PAGE)
    period = _period(request)
    submitter = request.GET.get("submitter") or None
    if submitter is not None and not USERNAME_RE.fullmatch(submitter):
        raise ApiError("'submitter' must be a username")
    papers = selectors.daily_papers(
        start=period.start if period else None,
        end=period.end if period else None,
        submitter=submitter,
        sort=SORTS[sort],
    )
    return _listing(list(papers[page * limit : (page + 1) * limit]))


@shared_page
@json_view
def paper_info(request: HttpRequest, paper_id: str) -> dict[str, Any] | HttpResponse:
    """``paper_info``: one paper by arXiv id (a versioned id gives the same paper); the id
    of a duplicate merged into another paper redirects there (the Hub client follows)."""
    try:
        arxiv_id, _ = split_version(paper_id)
    except ValueError:
        raise ApiError("Paper not found: not an arXiv id", status=404) from None
    paper = selectors.papers_with_author_names(
        Paper.objects.defer("search_vector").filter(arxiv_id=arxiv_id)
    ).first()
    if paper is None:
        if target := selectors.paper_alias_target(arxiv_id=arxiv_id):
            return HttpResponsePermanentRedirect(reverse("api:paper", args=[target]))
        raise ApiError(f"Paper not found: {arxiv_id}", status=404)
    return paper_payload(paper, selectors.claimed_author_slots(paper_ids=[paper.pk]))


@shared_page
@json_view
def search(request: HttpRequest) -> list[dict[str, Any]]:
    """``list_papers(query=...)``: full-text search, best first; an arXiv id finds that paper."""
    limit = _int_param(request, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    parsed = parse_search(request.GET.get("q", ""))
    papers = selectors.papers_with_author_names(Paper.objects.defer("search_vector"))
    if parsed.arxiv_id and (paper := papers.filter(arxiv_id=parsed.arxiv_id).first()):
        return _listing([paper])
    if parsed.query is None:
        return []
    ids = ranked_paper_ids(parsed.query, limit=MAX_RESULTS)[:limit]
    return _listing(papers_in_order(papers, ids))


@json_view
def not_found(request: HttpRequest, rest: str = "") -> dict[str, Any]:
    raise ApiError("No such API endpoint", status=404)
