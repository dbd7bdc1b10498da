"""The moderators' area (the queues and the users; moderators only) and the public log.

Thin views: the services check the power again, act and write the log. A decision made with
htmx answers with the item's one-line outcome (and the tab's new count, out of band); a plain
form POST redirects back with a message. A refused decision shows the item again with the
service's message: 403 when not allowed, 422 (htmx) or 400 for bad input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_POST, require_safe

from apps.comments.models import Comment
from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect, safe_next_url
from apps.core.refusals import Refusal, refusal_message, refusal_status
from apps.core.shared_cache import SharedFeed, shared_page
from apps.moderation import selectors, services
from apps.moderation.forms import (
    NOTE_LENGTH,
    REASON_LENGTH,
    ApproveForm,
    LogFilterForm,
    NoteForm,
    ReasonForm,
    SuspendForm,
)
from apps.moderation.models import ModerationAction
from apps.moderation.permissions import Power, moderator_powers
from apps.papers.models import Paper
from apps.submissions.services import long_date
from apps.users.models import User
from apps.users.roles import user_is_moderator

# The area's tabs: (key, label, the power that opens it; None: any moderator).
TABS: tuple[tuple[str, str, Power | None], ...] = (
    ("home", "Overview", None),
    ("submissions", "Submissions", Power.REVIEW_SUBMISSIONS),
    ("flags", "Flags", Power.HANDLE_FLAGS),
    ("claims", "Claims", Power.REVIEW_CLAIMS),
    ("users", "Users", Power.SANCTION_USERS),
    ("log", "Log", None),
)
FLAG_KINDS: dict[str, type[Paper] | type[Comment]] = {"paper": Paper, "comment": Comment}
LIMITS = {"reason": REASON_LENGTH, "note": NOTE_LENGTH}  # the forms' maxlength attributes
LOG_FEED_SIZE = 50


# --- Access and page frame ----------------------------------------------------------------


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    """The 403 answer: a page, or for htmx a line to show in place."""
    if request.htmx:
        html = f'<p class="form-errors" role="alert">{escape(message)}</p>'
        return HttpResponse(html, status=403)
    return render(request, "moderation/forbidden.html", {"message": message}, status=403)


def _area(power: Power | None = None, *, back: str | None = None):
    """Moderators only. Anonymous visitors go to log in (back to ``back`` after a POST, or to
    the page asked for); accounts without ``power`` (without any power for the dashboard)
    get a 403 page. The user's powers are kept on the request for the tabs."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @vary_on_htmx
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                next_url = reverse(back) if back else request.get_full_path()
                return login_redirect(request, next_url)
            powers = moderator_powers(request.user)
            if not powers or (power is not None and power not in powers):
                if request.user.is_suspended:
                    return _refused(request, "Your account is suspended: you cannot moderate.")
                if powers:
                    return _refused(request, "Your moderator role does not include this queue.")
                return _refused(request, "Only moderators can see this page.")
            request.moderator_powers = powers
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _tabs(powers: set[Power], counts: dict[str, int], active: str) -> list[dict]:
    return [
        {
            "key": key,
            "label": label,
            "url": reverse(f"moderation:{key}"),
            "count": counts.get(key),
            "active": key == active,
        }
        for key, label, power in TABS
        if power is None or power in powers
    ]


def _item(request: HttpRequest, template: str, context: dict, *, status: int) -> HttpResponse:
    """One queue item (or the user panel) alone, to swap in place."""
    context = {"limits": LIMITS, "today": timezone.localdate(), **context}
    return render(request, template, context, status=status)


def _render(
    request: HttpRequest, template: str, context: dict, *, tab: str, status: int = 200
) -> HttpResponse:
    """An area page: the tabs the user may open, with the size of each queue."""
    powers = request.moderator_powers
    context = {"tabs": _tabs(powers, selectors.queue_counts(powers=powers), tab), **context}
    return _item(request, template, context, status=status)


def _form_message(form) -> str:
    return " ".join(error for errors in form.errors.values() for error in errors)


def _status(request: HttpRequest, exc: Refusal | None = None) -> int:
    return refusal_status(exc, htmx=bool(request.htmx))


def _done(
    request: HttpRequest, *, queue: str, item_id: str, text: str, url: str = "", count: int
) -> HttpResponse:
    """A decision taken: the item's one-line outcome and the tab's new count (htmx), or back
    to the queue with the same words as a message."""
    if not request.htmx:
        messages.success(request, text)
        return HttpResponseRedirect(safe_next_url(request, reverse(f"moderation:{queue}")))
    context = {"item_id": item_id, "text": text, "url": url, "queue": queue, "count": count}
    return render(request, "moderation/partials/outcome.html", context)


def _mark_failed(item, failed, error: str, posted) -> None:
    """The refused decision's message and input on its item; empty ones on every other item,
    so that the template's lookups of them succeed: a failed lookup on a model instance costs
    a dir() of it (Django's template engine), 5 per item and 2-3 ms per queue page."""
    is_failed = failed is not None and item.pk == failed.pk
    item.error, item.posted = (error, posted) if is_failed else ("", {})


# --- Dashboard ----------------------------------------------------------------------------


@require_safe
@_area()
def home(request: HttpRequest) -> HttpResponse:
    powers = request.moderator_powers
    context = {"counts": selectors.queue_counts(powers=powers), "powers": powers}
    return _render(request, "moderation/home.html", context, tab="home")


# --- Submissions --------------------------------------------------------------------------


def _submissions_page(
    request: HttpRequest, *, failed=None, error: str = "", status: int = 200
) -> HttpResponse:
    page = selectors.submissions_pending(page=request.GET.get("page"))
    for submission in page.object_list:
        _mark_failed(submission, failed, error, request.POST)
    return _render(
        request, "moderation/submissions.html", {"page": page}, tab="submissions", status=status
    )


def _submission_refused(request: HttpRequest, submission, error: str, status: int) -> HttpResponse:
    if not request.htmx:
        return _submissions_page(request, failed=submission, error=error, status=status)
    submission.error, submission.posted = error, request.POST
    context = {"submission": submission}
    return _item(request, "moderation/submissions.html#item", context, status=status)


@require_safe
@_area(Power.REVIEW_SUBMISSIONS)
def submissions(request: HttpRequest) -> HttpResponse:
    return _submissions_page(request)


@require_POST
@_area(Power.REVIEW_SUBMISSIONS, back="moderation:submissions")
def submission_approve(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(selectors.submissions_for_review(), pk=pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _submission_refused(request, submission, _form_message(form), _status(request))
    day: dt.date = form.cleaned_data["day"] or timezone.localdate()
    try:
        services.submission_approve(
            moderator=request.user, submission=submission, day=day, note=form.cleaned_data["note"]
        )
    except (ValidationError, PermissionDenied) as exc:
        return _submission_refused(request, submission, refusal_message(exc), _status(request, exc))
    return _done(
        request,
        queue="submissions",
        item_id=f"submission-{pk}",
        text=f"Approved {submission.arxiv_id} for {long_date(day)}.",
        url=submission.paper.get_absolute_url(),
        count=selectors.pending_submissions_count(),
    )


@require_POST
@_area(Power.REVIEW_SUBMISSIONS, back="moderation:submissions")
def submission_reject(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(selectors.submissions_for_review(), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _submission_refused(request, submission, _form_message(form), _status(request))
    try:
        services.submission_reject(
            moderator=request.user, submission=submission, **form.cleaned_data
        )
    except (ValidationError, PermissionDenied) as exc:
        return _submission_refused(request, submission, refusal_message(exc), _status(request, exc))
    return _done(
        request,
        queue="submissions",
        item_id=f"submission-{pk}",
        text=f"Rejected {submission.arxiv_id}; the submitter is told why.",
        url=submission.paper.get_absolute_url() if submission.paper else "",
        count=selectors.pending_submissions_count(),
    )


# --- Flags --------------------------------------------------------------------------------


def _flags_page(
    request: HttpRequest, *, failed=None, error: str = "", status: int = 200
) -> HttpResponse:
    page = selectors.flagged_items(page=request.GET.get("page"))
    for flagged in page.object_list:
        if failed is not None and (flagged.kind, flagged.pk) == (failed.kind, failed.pk):
            flagged.error = error
    return _render(request, "moderation/flags.html", {"page": page}, tab="flags", status=status)


@require_safe
@_area(Power.HANDLE_FLAGS)
def flags(request: HttpRequest) -> HttpResponse:
    return _flags_page(request)


@require_POST
@_area(Power.HANDLE_FLAGS, back="moderation:flags")
def flags_dismiss(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Close an item's open flags; a comment they hid is shown again."""
    if kind not in FLAG_KINDS:
        raise Http404("Flags are on papers or comments.")
    flagged = selectors.flagged_item(kind=kind, pk=pk)
    if flagged is None:  # no open flags (any more): the service says so
        items = FLAG_KINDS[kind].objects
        item = get_object_or_404(
            items.select_related("paper") if kind == "comment" else items, pk=pk
        )
        flagged = selectors.FlaggedItem(kind=kind, item=item)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_form_message(form))
        dismissed = services.flags_dismiss(
            moderator=request.user, item=flagged.item, note=form.cleaned_data["note"]
        )
    except (ValidationError, PermissionDenied) as exc:
        status = _status(request, exc)
        if not request.htmx:
            return _flags_page(request, failed=flagged, error=refusal_message(exc), status=status)
        flagged.error = refusal_message(exc)
        return _item(request, "moderation/flags.html#item", {"flagged": flagged}, status=status)
    what = "comment" if kind == "comment" else "paper"
    return _done(
        request,
        queue="flags",
        item_id=f"flags-{kind}-{pk}",
        text=f"Dismissed {dismissed} flag{'s' if dismissed != 1 else ''} on this {what}.",
        url=flagged.item.get_absolute_url(),
        count=selectors.flagged_items_count(),
    )


# --- Author claims ------------------------------------------------------------------------


def _claims_page(
    request: HttpRequest, *, failed=None, error: str = "", status: int = 200
) -> HttpResponse:
    page = selectors.claims_pending(page=request.GET.get("page"))
    for claim in page.object_list:
        _mark_failed(claim, failed, error, request.POST)
    return _render(request, "moderation/claims.html", {"page": page}, tab="claims", status=status)


def _claim_refused(request: HttpRequest, claim, error: str, status: int) -> HttpResponse:
    if not request.htmx:
        return _claims_page(request, failed=claim, error=error, status=status)
    claim.error, claim.posted = error, request.POST
    return _item(request, "moderation/claims.html#item", {"claim": claim}, status=status)


@require_safe
@_area(Power.REVIEW_CLAIMS)
def claims(request: HttpRequest) -> HttpResponse:
    return _claims_page(request)


def _claim_words(claim) -> str:
    authorship = claim.authorship
    return f"@{claim.user.username} as {authorship.author.name} on {authorship.paper.arxiv_id}"


@require_POST
@_area(Power.REVIEW_CLAIMS, back="moderation:claims")
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(selectors.claims_for_review(), pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _claim_refused(request, claim, _form_message(form), _status(request))
    try:
        approved = services.claim_approve(
            moderator=request.user, claim=claim, note=form.cleaned_data["note"]
        )
    except (ValidationError, PermissionDenied) as exc:
        return _claim_refused(request, claim, refusal_message(exc), _status(request, exc))
    response = _done(
        request,
        queue="claims",
        item_id=f"claim-{pk}",
        text=f"Approved {_claim_words(claim)}.",
        url=claim.authorship.paper.get_absolute_url(),
        count=selectors.pending_claims_count(),
    )
    if request.htmx and approved.others_rejected:
        # Other pending claims on the same author were rejected with it: their items go too.
        others = render_to_string(
            "moderation/partials/claims_closed.html",
            {"claims": approved.others_rejected},
            request,
        )
        response.content += others.encode()
    return response


@require_POST
@_area(Power.REVIEW_CLAIMS, back="moderation:claims")
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(selectors.claims_for_review(), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _claim_refused(request, claim, _form_message(form), _status(request))
    try:
        services.claim_reject(moderator=request.user, claim=claim, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _claim_refused(request, claim, refusal_message(exc), _status(request, exc))
    return _done(
        request,
        queue="claims",
        item_id=f"claim-{pk}",
        text=f"Rejected {_claim_words(claim)}; the claimant is told why.",
        url=claim.authorship.paper.get_absolute_url(),
        count=selectors.pending_claims_count(),
    )


# --- Users --------------------------------------------------------------------------------


@require_safe
@_area(Power.SANCTION_USERS)
def users(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip().removeprefix("@")[:150]
    page = selectors.users_search(query=query, page=request.GET.get("page"))
    return _render(request, "moderation/users.html", {"page": page, "q": query}, tab="users")


def _target(username: str) -> User:
    target = selectors.user_for_moderation(username=username)
    if target is None:
        raise Http404("No account with this handle.")
    return target


def _user_page(
    request: HttpRequest, target: User, *, error: str = "", done: str = "", status: int = 200
) -> HttpResponse:
    """The account's page, or only its panel (state, forms, history) for htmx."""
    context = {
        "target": target,
        "target_is_moderator": user_is_moderator(target),
        "history": selectors.user_history(user=target, page=request.GET.get("page")),
        "error": error,
        "done": done,
        "posted": request.POST if error else {},
        "max_days": services.MAX_SUSPENSION_DAYS,
    }
    if request.htmx and request.method == "POST":
        return _item(request, "moderation/user.html#panel", context, status=status)
    return _render(request, "moderation/user.html", context, tab="users", status=status)


@require_safe
@_area(Power.SANCTION_USERS)
def user_detail(request: HttpRequest, username: str) -> HttpResponse:
    return _user_page(request, _target(username))


def _sanction(
    request: HttpRequest,
    username: str,
    *,
    form_class: type[ReasonForm],
    act: Callable[..., User],
    done: Callable[[User, dict], str],
) -> HttpResponse:
    target = _target(username)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_form_message(form))
        act(moderator=request.user, user=target, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        return _user_page(request, target, error=refusal_message(exc), status=_status(request, exc))
    text = done(target, form.cleaned_data)
    if not request.htmx:
        messages.success(request, text)
        return redirect("moderation:user", username=target.username)
    return _user_page(request, _target(target.username), done=text)


@require_POST
@_area(Power.SANCTION_USERS, back="moderation:users")
def user_warn(request: HttpRequest, username: str) -> HttpResponse:
    return _sanction(
        request,
        username,
        form_class=ReasonForm,
        act=services.user_warn,
        done=lambda user, data: f"Warned @{user.username}; they are told why.",
    )


@require_POST
@_area(Power.SANCTION_USERS, back="moderation:users")
def user_suspend(request: HttpRequest, username: str) -> HttpResponse:
    return _sanction(
        request,
        username,
        form_class=SuspendForm,
        act=services.user_suspend,
        done=lambda user, data: (
            f"Suspended @{user.username} for {data['days']} day{'s' if data['days'] != 1 else ''}."
        ),
    )


@require_POST
@_area(Power.SANCTION_USERS, back="moderation:users")
def user_ban(request: HttpRequest, username: str) -> HttpResponse:
    return _sanction(
        request,
        username,
        form_class=ReasonForm,
        act=services.user_ban,
        done=lambda user, data: f"Banned @{user.username}.",
    )


@require_POST
@_area(Power.SANCTION_USERS, back="moderation:users")
def user_unban(request: HttpRequest, username: str) -> HttpResponse:
    return _sanction(
        request,
        username,
        form_class=ReasonForm,
        act=services.user_unban,
        done=lambda user, data: f"Lifted the ban or suspension of @{user.username}.",
    )


# --- The public log -----------------------------------------------------------------------


@shared_page
@require_safe
def log(request: HttpRequest) -> HttpResponse:
    """The public log: who did what, on which item, when and why; nothing private."""
    form = LogFilterForm(request.GET)
    if not form.is_valid():
        context = {"message": f"{form.error_message()} Clear the filters and try again."}
        return render(request, "400.html", context, status=400)
    filters = form.filters()
    context = {
        "page": selectors.log_page(page=request.GET.get("page"), **filters),
        "form": form,
        "filtered": any(filters.values()),
        "feed_url": _with_filters(reverse("moderation:log_feed"), filters),
    }
    # Moderators find their tabs here too; members cost no more than the group check.
    powers = moderator_powers(request.user) if user_is_moderator(request.user) else set()
    if powers:
        context["tabs"] = _tabs(powers, selectors.queue_counts(powers=powers), "log")
    return render(request, "moderation/log.html", context)


def _with_filters(url: str, filters: dict[str, str]) -> str:
    """``url`` with the log's filters as its query (the page and the feed take the same)."""
    names = {"target_type": "type"}
    query = {names.get(key, key): value for key, value in filters.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


class _BadFilter(Exception):
    pass


class LogFeed(SharedFeed):
    """The latest log entries as Atom, with the log page's filters."""

    feed_type = Atom1Feed
    title = "Paperboard: moderation log"
    subtitle = "What the moderators did, on which item, and why."

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().__call__(request, *args, **kwargs)
        except _BadFilter as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")

    def get_object(self, request: HttpRequest, *args, **kwargs) -> dict[str, str]:
        form = LogFilterForm(request.GET)
        if not form.is_valid():
            raise _BadFilter(form.error_message())
        return form.filters()

    def link(self, obj: dict[str, str]) -> str:
        return _with_filters(reverse("moderation:log"), obj)

    def items(self, obj: dict[str, str]) -> list[ModerationAction]:
        return list(selectors.log_entries(**obj)[:LOG_FEED_SIZE])

    def item_title(self, item: ModerationAction) -> str:
        return f"{_who(item)} {item.get_action_display()}: {item.target_label}"

    def item_description(self, item: ModerationAction) -> str:
        return escape(item.reason)

    def item_link(self, item: ModerationAction) -> str:
        return item.target_url or reverse("moderation:log")

    def item_guid(self, item: ModerationAction) -> str:
        return f"moderation-log:{item.pk}"

    item_guid_is_permalink = False

    def item_author_name(self, item: ModerationAction) -> str:
        return _who(item)

    def item_pubdate(self, item: ModerationAction) -> dt.datetime:
        return item.created_at


def _who(entry: ModerationAction) -> str:
    if entry.moderator_id is None and not entry.moderator_name:
        return "community flags"
    return f"@{entry.moderator.username if entry.moderator else entry.moderator_name}"
