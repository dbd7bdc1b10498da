import datetime as dt
from collections.abc import Callable, Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST, require_safe

from apps.core.client_limits import client_ratelimit_hit, too_many_requests
from apps.core.htmx import vary_on_htmx
from apps.core.ratelimit import RateLimitExceeded
from apps.core.shared_cache import shared_data, shared_page
from apps.papers import selectors, services
from apps.papers.arxiv_ids import split_version
from apps.papers.models import AuthorClaim, Authorship, Paper
from apps.papers.periods import Period, PeriodKind, parse_day
from apps.papers.ranking import TRENDING_HALF_LIFE
from apps.papers.search import (
    MAX_RESULTS,
    SNIPPET_DELIMITER,
    math_highlight,
    papers_in_order,
    parse_search,
    ranked_paper_ids,
    with_highlights,
)

PAGE_SIZE = 50
TRENDING_SIZE = 50


def _tabs(*, anchor: dt.date | None, active: str) -> list[dict]:
    """Daily / Weekly / Monthly / Trending, the periods taken around ``anchor``."""
    tabs = []
    for kind, label in (("day", "Daily"), ("week", "Weekly"), ("month", "Monthly")):
        url = (
            Period.containing(kind, anchor).get_absolute_url()
            if anchor
            else reverse("papers:latest")
        )
        tabs.append({"label": label, "url": url, "active": kind == active})
    tabs.append(
        {"label": "Trending", "url": reverse("papers:trending"), "active": active == "trending"}
    )
    # Everything arXiv announced, before the community picked (apps/ingestion).
    tabs.append({"label": "New", "url": reverse("ingestion:new_latest"), "active": False})
    return tabs


def _period_listing(period: Period, page_number: str) -> dict:
    """One page of a period's ranked entries, their total and the nearest periods with
    papers."""
    entries = selectors.daily_entries_in_period(start=period.start, end=period.end)
    page_obj = selectors.page_of(entries, number=page_number, per_page=PAGE_SIZE)
    previous_period, next_period = selectors.neighbouring_periods(period=period)
    return {
        "entries": page_obj.object_list,
        "total": page_obj.paginator.count,
        "number": page_obj.number,
        "previous_period": previous_period,
        "next_period": next_period,
    }


def _shared_listing(name: str, compute: Callable[[], dict]) -> tuple[dict, Sequence]:
    """A list page's data for every reader (``shared_data``) without its entries, and the
    entries, read only if the page's cards have to be rendered (``{% paper_cards %}``)."""
    computed: dict = {}

    def listing() -> dict:
        computed.update(compute())
        return {key: value for key, value in computed.items() if key != "entries"}

    shared = shared_data(name, listing)
    if "entries" in computed:
        return shared, computed["entries"]
    return shared, SimpleLazyObject(lambda: compute()["entries"])


def _latest_day() -> dt.date | None:
    return shared_data("latest-day", selectors.latest_day_with_papers)


def _render_period(request: HttpRequest, period: Period | None) -> HttpResponse:
    """A period's ranked papers, paginated, with links to the nearest non-empty periods."""
    context: dict = {
        "period": period,
        "tabs": _tabs(
            anchor=period.start if period else None, active=period.kind if period else "day"
        ),
    }
    if period is None:
        context.update(entries=[], page_obj=None, previous_period=None, next_period=None)
    else:
        page_number = request.GET.get("p", "")[:12]
        name = f"period:{period.kind}:{period.value}:{page_number}"
        listing, entries = _shared_listing(name, lambda: _period_listing(period, page_number))
        page_obj = Paginator(range(listing["total"]), PAGE_SIZE).get_page(listing["number"])
        context.update(
            entries=entries,
            cards_name=name,
            total=listing["total"],
            page_obj=page_obj if page_obj.paginator.num_pages > 1 else None,
            previous_period=listing["previous_period"],
            next_period=listing["next_period"],
        )
    # "More papers" (htmx) appends the next page's cards and pager in place of the pager.
    template = "papers/period.html#page" if request.htmx else "papers/period.html"
    return render(request, template, context)


@shared_page
@require_safe
@vary_on_htmx
def latest_day(request: HttpRequest) -> HttpResponse:
    day = _latest_day()
    return _render_period(request, Period.containing("day", day) if day else None)


@shared_page
@require_safe
@vary_on_htmx
def day_page(request: HttpRequest, day: dt.date) -> HttpResponse:
    return _render_period(request, Period.containing("day", day))


@shared_page
@require_safe
@vary_on_htmx
def week_page(request: HttpRequest, week: Period) -> HttpResponse:
    return _render_period(request, week)


@shared_page
@require_safe
@vary_on_htmx
def month_page(request: HttpRequest, month: Period) -> HttpResponse:
    return _render_period(request, month)


def period_jump(request: HttpRequest) -> HttpResponse:
    """The date picker's plain GET form: ``?date=YYYY-MM-DD`` (and optional ``kind``)."""
    raw = request.GET.get("date", "")
    try:
        day = parse_day(raw).start
    except ValueError:
        message = f"“{raw[:40]}” is not a date. Pick one in the calendar or write YYYY-MM-DD."
        return render(request, "400.html", {"message": message}, status=400)
    kinds: dict[str, PeriodKind] = {"week": "week", "month": "month"}
    kind = kinds.get(request.GET.get("kind", ""), "day")
    return redirect(Period.containing(kind, day).get_absolute_url())


def _trending_listing() -> dict:
    entries = list(selectors.daily_entries_trending(limit=TRENDING_SIZE))
    return {"entries": entries, "total": len(entries)}


@shared_page
@require_safe
def trending(request: HttpRequest) -> HttpResponse:
    listing, entries = _shared_listing("trending", _trending_listing)
    context = {
        "tabs": _tabs(anchor=_latest_day(), active="trending"),
        "entries": entries,
        "cards_name": "trending",
        "total": listing["total"],
        "half_life_hours": int(TRENDING_HALF_LIFE.total_seconds() // 3600),
    }
    return render(request, "papers/trending.html", context)


def _paper(arxiv_id: str, url_name: str) -> Paper | HttpResponse:
    """The paper, or a permanent redirect from a versioned id to the plain one, or from a
    duplicate merged into another paper to that paper; else a 404."""
    try:
        plain_id, version = split_version(arxiv_id)
    except ValueError as exc:
        raise Http404("Not an arXiv id") from exc
    if version is not None:
        return redirect(url_name, arxiv_id=plain_id, permanent=True)
    paper = selectors.paper_for_page(arxiv_id=plain_id)
    if paper is None:
        if target := selectors.paper_alias_target(arxiv_id=plain_id):
            return redirect(url_name, arxiv_id=target, permanent=True)
        raise Http404("No such paper")
    return paper


@shared_page
@require_safe
def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id, "papers:detail")
    if isinstance(paper, HttpResponse):
        return paper
    context = {"paper": paper, "similar": selectors.similar_papers(paper=paper)}
    return render(request, "papers/detail.html", context)


@shared_page
@require_safe
def paper_markdown(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The paper page as Markdown, for readers, scripts and language models."""
    paper = _paper(arxiv_id, "papers:detail_md")
    if isinstance(paper, HttpResponse):
        return paper
    context = {
        "paper": paper,
        "page_url": request.build_absolute_uri(reverse("papers:detail", args=[paper.arxiv_id])),
    }
    body = render_to_string("papers/detail.md", context, request=request)
    return HttpResponse(body, content_type="text/markdown; charset=utf-8")


SEARCH_PAGE_SIZE = 20


@shared_page
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search; an arXiv id or URL of a paper we have jumps straight to its page."""
    try:
        client_ratelimit_hit(request, "search")
    except RateLimitExceeded as exc:
        return too_many_requests(request, exc)
    parsed = parse_search(request.GET.get("q", ""))
    if parsed.arxiv_id and (paper := selectors.paper_by_arxiv_id(arxiv_id=parsed.arxiv_id)):
        return redirect(paper)
    page = None
    if parsed.query is not None:
        page = Paginator(ranked_paper_ids(parsed.query), SEARCH_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        papers = selectors.papers_with_author_names(with_highlights(Paper.objects, parsed.query))
        page.object_list = papers_in_order(papers, list(page.object_list))
        for paper in page.object_list:
            # Highlights that leave the maths in them typesettable (see math_highlight).
            paper.title_html = math_highlight(paper.title_highlight, paper.title)
            paper.abstract_html = math_highlight(
                paper.abstract_highlight, paper.abstract, fragment_delimiter=SNIPPET_DELIMITER
            )
    context = {
        "query": parsed.text,
        "arxiv_id": parsed.arxiv_id,
        "page": page,
        "max_results": MAX_RESULTS,
    }
    return render(request, "papers/search.html", context)


@require_POST
@login_required
def author_claim_create(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    try:
        authorship_id = int(request.POST.get("authorship", ""))
    except ValueError:
        authorship_id = None
    authorship = Authorship.objects.filter(paper=paper, pk=authorship_id).first()
    error, status = None, 400
    if authorship is None:
        error = "Choose one of this paper's authors."
    else:
        try:
            services.author_claim_create(
                user=request.user, authorship=authorship, evidence=request.POST.get("evidence", "")
            )
        except (PermissionDenied, ValidationError, RateLimitExceeded) as exc:
            error, status = _claim_refusal(exc)
    if error is not None:
        return render(
            request, "papers/claim_error.html", {"paper": paper, "error": error}, status=status
        )
    messages.success(
        request, f"Thanks! A moderator will review your claim to be {authorship.author.name}."
    )
    return redirect(paper)


# Refusals about the claim's state (already filed, slot taken, asked again): 409 Conflict.
CLAIM_CONFLICTS = {"duplicate", "taken", "other_slot", "not_rejected", "asked_again"}


def _claim_refusal(exc: PermissionDenied | ValidationError | RateLimitExceeded) -> tuple[str, int]:
    if isinstance(exc, RateLimitExceeded):
        return str(exc), 429
    if isinstance(exc, PermissionDenied):
        return str(exc), 403
    return exc.messages[0], 409 if exc.code in CLAIM_CONFLICTS else 400


@require_POST
@login_required
def author_claim_ask_again(request: HttpRequest, arxiv_id: str, pk: int) -> HttpResponse:
    """A rejected claimant asks once more, with new evidence; another user's claim is a 404."""
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    claim = get_object_or_404(
        AuthorClaim.objects.select_related("authorship__author"),
        pk=pk,
        authorship__paper=paper,
        user=request.user,
    )
    try:
        services.author_claim_ask_again(
            user=request.user, claim=claim, evidence=request.POST.get("evidence", "")
        )
    except (PermissionDenied, ValidationError) as exc:
        error, status = _claim_refusal(exc)
        return render(
            request, "papers/claim_error.html", {"paper": paper, "error": error}, status=status
        )
    messages.success(
        request,
        f"Thanks! A moderator will look again at your claim to be {claim.authorship.author.name}.",
    )
    return redirect(paper)
