"""The digest on the web: a preview of the email, and past digests at stable URLs."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.http import require_safe

from apps.core.csp import set_policy
from apps.core.shared_cache import shared_page
from apps.digests import selectors
from apps.digests.models import Digest, Frequency
from apps.digests.rendering import digest_path, long_date, render_digest_html
from apps.digests.schedule import period_containing
from apps.digests.services import TOP_PAPERS
from apps.papers.periods import Period

ARCHIVE_PAGE_SIZE = 30


class _BadFrequency(ValueError):
    pass


def _frequency(request: HttpRequest, *, default: str | None) -> str | None:
    """The ``frequency`` parameter: daily, weekly, or ``default`` when absent or empty."""
    value = request.GET.get("frequency", "")
    if not value:
        return default
    if value not in Frequency.values:
        raise _BadFrequency(
            f"“{value[:40]}” is not a digest frequency: ask for daily or weekly digests."
        )
    return value


def _bad_request(request: HttpRequest, error: _BadFrequency) -> HttpResponse:
    context = {"message": str(error)}
    return render(request, "400.html", context, status=400)


def _period_label(digest: Digest) -> str:
    """Friday, November 27, 2026 / Week 48, 2026 (Nov 23-29)."""
    start = digest.period_start
    if digest.frequency == Frequency.WEEKLY:
        return period_containing(Frequency.WEEKLY, start).label
    return long_date(start)


@shared_page
@require_safe
def preview(request: HttpRequest) -> HttpResponse:
    """The email of the latest period with papers, as the reader would get it: an account
    holder with their own "for you" part (and their subscription's frequency unless asked
    otherwise), anyone else the shared part. A period not sent yet is previewed from its
    live ranking; nothing is written."""
    user = request.user if request.user.is_authenticated else None
    subscription = selectors.subscription_for_user(user=user) if user else None
    default = subscription.frequency if subscription else Frequency.DAILY
    try:
        frequency = _frequency(request, default=default)
    except _BadFrequency as error:
        return _bad_request(request, error)
    context = {
        "frequency": frequency,
        "frequencies": Frequency.choices,
    }
    period = selectors.preview_period(frequency=frequency, today=timezone.now().date())
    if period is None:
        return render(request, "digests/preview.html", context)
    digest = selectors.digest_for_period(frequency, period) or Digest(
        frequency=frequency,
        period_start=period.start,
        period_end=period.end,
        paper_ids=selectors.digest_top_paper_ids(period=period, limit=TOP_PAPERS[frequency]),
    )
    # The footer names the subscription only if this is the digest it gets.
    if subscription is not None and not (
        subscription.is_active and subscription.frequency == frequency
    ):
        subscription = None
    context.update(
        digest=digest,
        label=_period_label(digest),
        sent=digest.pk is not None,
        email_html=render_digest_html(digest, subscription=subscription, user=user),
    )
    # The email's <style> block and style attributes (what mail clients read), shown in a
    # sandboxed srcdoc iframe, which has this page's Content-Security-Policy. No script runs
    # there (the sandbox allows none), and styles cannot run one.
    return set_policy(
        render(request, "digests/preview.html", context),
        {"style-src": [CSP.SELF, CSP.UNSAFE_INLINE]},
    )


@shared_page
@require_safe
def archive(request: HttpRequest) -> HttpResponse:
    """Past digests, newest first, of one frequency or both."""
    try:
        frequency = _frequency(request, default=None)
    except _BadFrequency as error:
        return _bad_request(request, error)
    page = Paginator(selectors.digests_archive(frequency), ARCHIVE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = [
        {"digest": digest, "label": _period_label(digest), "url": digest_path(digest)}
        for digest in page.object_list
    ]
    context = {
        "page": page,
        "frequency": frequency,
        "frequencies": Frequency.choices,
    }
    return render(request, "digests/archive.html", context)


def _digest_page(request: HttpRequest, frequency: str, period: Period) -> HttpResponse:
    digest = selectors.digest_for_period(frequency, period)
    if digest is None:
        raise Http404("No digest was sent for this period.")
    previous, following = selectors.digest_neighbours(digest)
    context = {
        "digest": digest,
        "label": _period_label(digest),
        "papers": selectors.digest_papers(digest),
        "period": period,
        "previous": previous and {"label": _period_label(previous), "url": digest_path(previous)},
        "next": following and {"label": _period_label(following), "url": digest_path(following)},
    }
    return render(request, "digests/digest_page.html", context)


@shared_page
@require_safe
def daily_digest(request: HttpRequest, day: dt.date) -> HttpResponse:
    """The day's digest as it was sent: its frozen top papers, in their order then."""
    return _digest_page(request, Frequency.DAILY, period_containing(Frequency.DAILY, day))


@shared_page
@require_safe
def weekly_digest(request: HttpRequest, week: Period) -> HttpResponse:
    """The week's digest as it was sent."""
    return _digest_page(request, Frequency.WEEKLY, week)
