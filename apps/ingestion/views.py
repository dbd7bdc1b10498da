import datetime as dt
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from apps.core.htmx import vary_on_htmx
from apps.core.shared_cache import shared_page
from apps.ingestion import selectors

PAGE_SIZE = 50
CATEGORY_RE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?$")


@shared_page
@require_safe
def new_latest(request: HttpRequest) -> HttpResponse:
    """The latest day arXiv announced papers on, keeping the filters."""
    day = selectors.latest_announcement_day()
    if day is None:
        return render(request, "ingestion/new.html", {"day": None, "tabs": []})
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(f"{reverse('ingestion:new_day', args=[day])}{query}")


@shared_page
@require_safe
@vary_on_htmx
def new_day(request: HttpRequest, day: dt.date) -> HttpResponse:
    """Every paper arXiv announced on ``day`` in the configured categories, by tab."""
    category = request.GET.get("category") or None
    if category is not None and not (len(category) <= 32 and CATEGORY_RE.match(category)):
        message = f"“{category[:40]}” is not an arXiv category, such as cs.LG."
        return render(request, "400.html", {"message": message}, status=400)
    group = request.GET.get("type", "new")
    if group not in selectors.ANNOUNCEMENT_GROUPS:
        message = "The type is one of new, cross or replace."
        return render(request, "400.html", {"message": message}, status=400)
    papers = selectors.announced_papers(day=day, group=group, category=category)
    page = Paginator(papers, PAGE_SIZE).get_page(request.GET.get("p"))
    previous_day, next_day = selectors.neighbouring_announcement_days(day=day)
    context = {
        "day": day,
        "category": category,
        "categories": settings.ARXIV_CATEGORIES,
        "group": group,
        "counts": selectors.announcement_counts(day=day, category=category),
        "papers": page.object_list,
        "page_obj": page if page.has_other_pages() else None,
        "previous_day": previous_day,
        "next_day": next_day,
    }
    template = "ingestion/new.html#page" if request.htmx else "ingestion/new.html"
    return render(request, template, context)
