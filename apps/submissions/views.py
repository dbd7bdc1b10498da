"""Submitting a paper and watching its state: the page, the status fragment that polls itself,
and retry. htmx requests get fragments (the status, or why not); plain ones full pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect
from apps.core.ratelimit import RateLimitExceeded
from apps.core.refusals import refusal_message, refusal_status
from apps.submissions import selectors, services
from apps.submissions.forms import SubmissionForm
from apps.submissions.models import Submission

PAGE_TEMPLATE = "submissions/submit.html"
DETAIL_TEMPLATE = "submissions/detail.html"
STATUS_TEMPLATE = "submissions/partials/status.html"
REFUSAL_TEMPLATE = "submissions/partials/refusal.html"

# How someone else's open submission of the same paper is described.
OPEN_STATES = {
    Submission.Status.FETCHING: "being fetched from arXiv",
    Submission.Status.PENDING: "waiting for a moderator's review",
}


def _status(
    request: HttpRequest, submission: Submission, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {"submission": submission, "today": timezone.localdate(), "error": error}
    return render(request, STATUS_TEMPLATE, context, status=status)


def _page(request: HttpRequest, form: SubmissionForm, *, status: int = 200) -> HttpResponse:
    try:
        services.submitter_check(request.user)
        refusal = ""
    except PermissionDenied as exc:
        refusal = str(exc)
    context = {
        "form": form,
        "refusal": refusal,
        "submissions": selectors.submissions_recent(user=request.user),
        "today": timezone.localdate(),
        "per_day": settings.SUBMISSIONS_PER_DAY,
        "max_age_days": settings.SUBMISSION_MAX_PAPER_AGE_DAYS,
    }
    return render(request, PAGE_TEMPLATE, context, status=status)


@vary_on_htmx
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """GET: the form and the user's recent submissions. POST: submit (from here or a card)."""
    if not request.user.is_authenticated:
        return login_redirect(request, reverse("submissions:submit"))
    if request.method == "GET":
        return _page(request, SubmissionForm(initial={"text": request.GET.get("id", "")}))
    form = SubmissionForm(request.POST)
    if form.is_valid():
        try:
            outcome = services.submission_create(user=request.user, text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied, RateLimitExceeded) as exc:
            form.add_error(None, refusal_message(exc))
            status = refusal_status(exc, htmx=bool(request.htmx))
        else:
            return _submitted(request, outcome)
    else:
        status = 422 if request.htmx else 400
    if request.htmx:
        errors = [error for errors in form.errors.values() for error in errors]
        return render(request, REFUSAL_TEMPLATE, {"errors": errors}, status=status)
    return _page(request, form, status=status)


def _submitted(request: HttpRequest, outcome: services.SubmissionOutcome) -> HttpResponse:
    """Where a submission leads: the paper's page, someone else's submission, or its status."""
    if outcome.kind == services.OutcomeKind.FEATURED and outcome.paper and outcome.day:
        day = services.long_date(outcome.day)
        messages.info(request, f"{outcome.paper.arxiv_id} is already on the list of {day}.")
        url = outcome.paper.get_absolute_url()
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    submission = outcome.submission
    if submission is None:  # not an outcome submission_create gives
        return redirect("submissions:submit")
    if submission.submitted_by_id != request.user.pk:
        state = OPEN_STATES.get(submission.status, submission.get_status_display().lower())
        notice = f"Someone has already submitted {submission.arxiv_id}; it is {state}."
        if request.htmx:
            return render(request, REFUSAL_TEMPLATE, {"notice": notice})
        messages.info(request, notice)
        return redirect("submissions:submit")
    if request.htmx:
        return _status(request, submission)
    return redirect("submissions:status", pk=submission.pk)


def _own_submission(request: HttpRequest, pk: int) -> Submission:
    """The user's own submission; anyone else's is a 404, as if it did not exist."""
    return get_object_or_404(selectors.submissions_of(user=request.user), pk=pk)


@vary_on_htmx
@require_GET
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The submission's state: the fragment (which polls while fetching) or a page around it."""
    if not request.user.is_authenticated:
        return login_redirect(request, reverse("submissions:status", args=[pk]))
    submission = _own_submission(request, pk)
    if request.htmx:
        return _status(request, submission)
    context = {"submission": submission, "today": timezone.localdate()}
    return render(request, DETAIL_TEMPLATE, context)


@vary_on_htmx
@require_POST
def submission_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Fetch a failed submission again; the fragment then polls as for a new one."""
    if not request.user.is_authenticated:
        return login_redirect(request, reverse("submissions:status", args=[pk]))
    submission = _own_submission(request, pk)
    try:
        submission = services.submission_retry(user=request.user, submission=submission)
    except (ValidationError, PermissionDenied, RateLimitExceeded) as exc:
        if request.htmx:
            status = refusal_status(exc, htmx=True)
            return _status(request, submission, error=refusal_message(exc), status=status)
        messages.error(request, refusal_message(exc))
    else:
        if request.htmx:
            return _status(request, submission)
    return redirect("submissions:status", pk=submission.pk)
