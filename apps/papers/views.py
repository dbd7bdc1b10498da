import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.papers import selectors
from apps.papers.arxiv_ids import split_version
from apps.papers.models import Paper
from apps.papers.search import (
    MAX_RESULTS,
    papers_in_order,
    parse_search,
    ranked_paper_ids,
    safe_highlight,
    with_highlights,
)


def _render_day(request: HttpRequest, day: dt.date | None) -> HttpResponse:
    entries = list(selectors.daily_entries_for_day(day=day)) if day else []
    previous_day, next_day = selectors.neighbouring_days(day=day) if day else (None, None)
    context = {"day": day, "entries": entries, "previous_day": previous_day, "next_day": next_day}
    return render(request, "papers/day.html", context)


def latest_day(request: HttpRequest) -> HttpResponse:
    return _render_day(request, selectors.latest_day_with_papers())


def day_page(request: HttpRequest, day: dt.date) -> HttpResponse:
    return _render_day(request, day)


def paper_detail(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        plain_id, version = split_version(arxiv_id)
    except ValueError as exc:
        raise Http404("Not an arXiv id") from exc
    if version is not None:
        return redirect("papers:detail", arxiv_id=plain_id, permanent=True)
    paper = get_object_or_404(
        Paper.objects.select_related("daily_entry__submitted_by").prefetch_related(
            "authorships__author"
        ),
        arxiv_id=plain_id,
    )
    return render(request, "papers/detail.html", {"paper": paper})


SEARCH_PAGE_SIZE = 20


def search(request: HttpRequest) -> HttpResponse:
    """Full-text search; an arXiv id or URL of a paper we have jumps straight to its page."""
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
            paper.title_html = safe_highlight(paper.title_highlight)
            paper.abstract_html = safe_highlight(paper.abstract_highlight)
    context = {
        "query": parsed.text,
        "arxiv_id": parsed.arxiv_id,
        "page": page,
        "max_results": MAX_RESULTS,
    }
    return render(request, "papers/search.html", context)
