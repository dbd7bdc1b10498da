"""Moderation where the content is: readers flag papers and comments, moderators act on a
comment in the thread and on a paper from its page.

Thin: ``apps.moderation.services`` checks who may act and writes the log. A refusal comes back
in place (htmx) or as a page of its own: 403 for a permission, 422 for bad input, 429 for a
rate; anonymous visitors are sent to log in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from apps.comments.models import Comment
from apps.comments.selectors import CommentNode
from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect
from apps.core.ratelimit import RateLimitExceeded
from apps.core.refusals import refusal_message
from apps.moderation import services
from apps.moderation.forms import FlagForm, PaperEditForm, ReasonForm
from apps.moderation.models import Flag
from apps.moderation.permissions import Power, require_power
from apps.moderation.selectors import FlagMark, reader_flag
from apps.papers.models import Paper
from apps.papers.services import EDITABLE_FIELDS

PAGE_TEMPLATE = "moderation/items/action.html"
FLAG_SLOT = "moderation/items/flag.html#slot"
COMMENT_ARTICLE = "comments/partials/comment.html#comment_article"
DISCUSSION_COUNT = "comments/partials/discussion.html#count"
FLAGGED = "Flagged. Thanks — a moderator will look."
# Which flag form field a service's ValidationError is about (by its code).
FLAG_ERROR_FIELDS = {"reason": "reason", "no_text": "text", "too_long": "text"}


def _status(exc: Exception) -> int:
    if isinstance(exc, RateLimitExceeded):
        return 429
    return 403 if isinstance(exc, PermissionDenied) else 422


def _paper(arxiv_id: str) -> Paper:
    return get_object_or_404(
        Paper.objects.select_related("daily_entry").defer("search_vector"), arxiv_id=arxiv_id
    )


def _comment(pk: int) -> Comment:
    return get_object_or_404(Comment.objects.select_related("paper", "author"), pk=pk)


# --- Flags --------------------------------------------------------------------------------


def _flag_response(
    request: HttpRequest, item: Paper | Comment, *, status: int = 200, **context
) -> HttpResponse:
    """The flag control in place (htmx), or a page of its own."""
    kind = "comment" if isinstance(item, Comment) else "paper"
    context = {"item": item, "kind": kind, "flag_mark": None, **context}
    if request.htmx:
        return render(request, FLAG_SLOT, context, status=status)
    title = f"Flag this {kind}"
    context |= {"title": title, "back_url": item.get_absolute_url(), "flag_page": True}
    return render(request, PAGE_TEMPLATE, context, status=status)


def _flag(request: HttpRequest, item: Paper | Comment) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request, item.get_absolute_url())
    reasons = services.flag_reasons(item)
    auto_id = f"flag-{item.pk}-%s"
    if request.method == "GET":
        mark = reader_flag(request, item)
        if mark is not None or (request.htmx and request.GET.get("cancel")):
            return _flag_response(request, item, flag_mark=mark)
    try:  # the service checks again; asked first, the refusal comes before any form
        services.flagger_check(request.user)
    except PermissionDenied as exc:
        return _flag_response(request, item, refusal=refusal_message(exc), status=403)
    if request.method == "GET":
        return _flag_response(request, item, form=FlagForm(reasons=reasons, auto_id=auto_id))
    form = FlagForm(request.POST, reasons=reasons, auto_id=auto_id)
    if not form.is_valid():
        return _flag_response(request, item, form=form, status=422)
    try:
        flag = services.flag_create(
            user=request.user,
            item=item,
            reason=form.cleaned_data["reason"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        field = FLAG_ERROR_FIELDS.get(getattr(exc, "code", None))
        if field is None:  # not about the form: a duplicate, a deleted comment
            return _flag_response(request, item, refusal=refusal_message(exc), status=422)
        form.add_error(field, exc)
        return _flag_response(request, item, form=form, status=422)
    except (PermissionDenied, RateLimitExceeded) as exc:
        return _flag_response(request, item, refusal=refusal_message(exc), status=_status(exc))
    if not request.htmx:
        messages.success(request, FLAGGED)
        return redirect(item.get_absolute_url())
    return _flag_response(request, item, flag_mark=FlagMark(pk=flag.pk, is_open=True), done=True)


@vary_on_htmx
@require_http_methods(["GET", "POST"])
def flag_paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """GET: the reasons to choose from. POST: the flag."""
    return _flag(request, _paper(arxiv_id))


@vary_on_htmx
@require_http_methods(["GET", "POST"])
def flag_comment(request: HttpRequest, pk: int) -> HttpResponse:
    return _flag(request, _comment(pk))


@vary_on_htmx
@require_POST
def flag_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back one's own open flag; someone else's flag is a 404 (its author is private)."""
    if not request.user.is_authenticated:
        return login_redirect(request, "/")
    flag = get_object_or_404(
        Flag.objects.select_related("paper", "comment__paper"), pk=pk, flagged_by=request.user
    )
    item = flag.comment or flag.paper
    try:
        services.flag_withdraw(user=request.user, flag=flag)
    except ValidationError as exc:
        return _flag_response(request, item, refusal=refusal_message(exc), status=422)
    if not request.htmx:
        messages.success(request, "Flag withdrawn.")
        return redirect(item.get_absolute_url())
    return _flag_response(request, item)


# --- Comments -----------------------------------------------------------------------------


def _comment_page(
    request: HttpRequest, comment: Comment, *, status: int = 200, **context
) -> HttpResponse:
    """The comment with a moderator's form or a refusal: in place in the thread (htmx), or a
    page of its own."""
    if request.htmx:
        context |= {"comment": comment, "node": CommentNode(comment=comment, depth=comment.depth)}
        return render(request, COMMENT_ARTICLE, context, status=status)
    context = {"title": "Moderate a comment", **context}
    context |= {"comment": comment, "back_url": comment.get_absolute_url()}
    return render(request, PAGE_TEMPLATE, context, status=status)


def _comment_done(request: HttpRequest, comment: Comment, message: str) -> HttpResponse:
    """The comment as it now is, and "Discussion (N)" out of band, since the count changed."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(comment.get_absolute_url())
    paper = comment.paper
    paper.refresh_from_db(fields=["comments_count"])
    node = CommentNode(comment=comment, depth=comment.depth)
    article = render_to_string(COMMENT_ARTICLE, {"comment": comment, "node": node}, request)
    count = render_to_string(DISCUSSION_COUNT, {"paper": paper, "oob": True})
    return HttpResponse(article + count)


@vary_on_htmx
@require_http_methods(["GET", "POST"])
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the reason form under the comment. POST: remove its text for everyone."""
    comment = _comment(pk)
    if not request.user.is_authenticated:
        return login_redirect(request, comment.get_absolute_url())
    if request.method == "GET" and request.htmx and request.GET.get("cancel"):
        return _comment_page(request, comment)
    form = ReasonForm(request.POST if request.method == "POST" else None, auto_id=f"hide-{pk}-%s")
    page = {"title": "Remove a comment", "reason_form": form, "moderating": "hide"}
    try:
        require_power(request.user, Power.HIDE_COMMENTS)  # the service checks it again
        if request.method == "GET":
            return _comment_page(request, comment, **page)
        if not form.is_valid():
            return _comment_page(request, comment, status=422, **page)
        comment = services.comment_hide(
            moderator=request.user, comment=comment, **form.cleaned_data
        )
    except PermissionDenied as exc:
        return _comment_page(request, comment, refusal=refusal_message(exc), status=403)
    except ValidationError as exc:
        if comment.is_deleted:  # no form to show the message on
            return _comment_page(request, comment, refusal=refusal_message(exc), status=422)
        form.add_error(None, exc)
        return _comment_page(request, comment, status=422, **page)
    return _comment_done(request, comment, "Comment removed.")


@vary_on_htmx
@require_POST
def comment_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a hidden comment again (removed by a moderator, or hidden by flags)."""
    comment = _comment(pk)
    if not request.user.is_authenticated:
        return login_redirect(request, comment.get_absolute_url())
    form = ReasonForm(request.POST)
    try:
        require_power(request.user, Power.HIDE_COMMENTS)  # the service checks it again
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        comment = services.comment_restore(
            moderator=request.user, comment=comment, **form.cleaned_data
        )
    except (PermissionDenied, ValidationError) as exc:
        return _comment_page(request, comment, refusal=refusal_message(exc), status=_status(exc))
    return _comment_done(request, comment, "Comment restored.")


# --- Papers -------------------------------------------------------------------------------


def _paper_action(
    request: HttpRequest,
    paper: Paper,
    *,
    power: Power,
    form: Form,
    act: Callable[[], object],
    title: str,
    button: str,
    done: str,
) -> HttpResponse:
    """GET: the form on a page of its own. POST: ``act()``, then back to the paper's page,
    whose discussion, tools and lists all change with it."""
    context = {"paper": paper, "title": title, "button": button, "paper_form": form}
    context["back_url"] = paper.get_absolute_url()
    try:
        require_power(request.user, power)  # the service checks it again, with the rest
        if request.method == "POST" and form.is_valid():
            act()
            messages.success(request, done)
            return redirect(paper)
    except PermissionDenied as exc:
        return render(
            request, PAGE_TEMPLATE, context | {"refusal": refusal_message(exc)}, status=403
        )
    except ValidationError as exc:
        # A model validation error names its fields; the service's own ones are the form's.
        form.add_error(None, exc)
    status = 422 if request.method == "POST" else 200
    return render(request, PAGE_TEMPLATE, context, status=status)


def _reason_form(request: HttpRequest) -> ReasonForm:
    return ReasonForm(request.POST if request.method == "POST" else None)


@require_http_methods(["GET", "POST"])
def discussion_lock(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    if not request.user.is_authenticated:
        return login_redirect(request, paper.get_absolute_url())
    form = _reason_form(request)
    return _paper_action(
        request,
        paper,
        power=Power.LOCK_DISCUSSIONS,
        form=form,
        act=lambda: services.discussion_lock(
            moderator=request.user, paper=paper, **form.cleaned_data
        ),
        title="Lock the discussion",
        button="Lock",
        done="The discussion is locked: it takes no new comments or replies.",
    )


@require_http_methods(["GET", "POST"])
def discussion_unlock(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    if not request.user.is_authenticated:
        return login_redirect(request, paper.get_absolute_url())
    form = _reason_form(request)
    return _paper_action(
        request,
        paper,
        power=Power.LOCK_DISCUSSIONS,
        form=form,
        act=lambda: services.discussion_unlock(
            moderator=request.user, paper=paper, **form.cleaned_data
        ),
        title="Unlock the discussion",
        button="Unlock",
        done="The discussion is open again.",
    )


@require_http_methods(["GET", "POST"])
def paper_edit(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The paper's editable metadata, prefilled, with the reason for the edit."""
    paper = _paper(arxiv_id)
    if not request.user.is_authenticated:
        return login_redirect(request, paper.get_absolute_url())
    form = PaperEditForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(paper, name) for name in EDITABLE_FIELDS},
    )
    return _paper_action(
        request,
        paper,
        power=Power.EDIT_PAPERS,
        form=form,
        act=lambda: services.paper_edit(
            moderator=request.user,
            paper=paper,
            fields=form.paper_fields(),
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
        title="Edit the paper's metadata",
        button="Save",
        done="The paper is updated.",
    )


@require_http_methods(["GET", "POST"])
def paper_remove_from_day(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = _paper(arxiv_id)
    if not request.user.is_authenticated:
        return login_redirect(request, paper.get_absolute_url())
    form = _reason_form(request)
    return _paper_action(
        request,
        paper,
        power=Power.EDIT_PAPERS,
        form=form,
        act=lambda: services.paper_remove_from_day(
            moderator=request.user, paper=paper, **form.cleaned_data
        ),
        title="Remove the paper from its day",
        button="Remove from the day",
        done="The paper is off its day's list; its page and discussion stay.",
    )
