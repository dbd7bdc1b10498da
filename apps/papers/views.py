import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.papers import selectors
from apps.papers.arxiv_ids import split_version
from apps.papers.models import Paper


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
