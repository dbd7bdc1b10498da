"""Merging a duplicate paper into another, from the duplicate's page: the form, a preview of
both papers to confirm, then the merge (moderators who may edit papers only).

Every step is a plain form POST: the first shows the preview with a hidden ``confirm``, the
second merges and redirects to the kept paper. Refusals re-render the page with the message:
403 when not allowed, 400 for bad input.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.core.navigation import login_redirect
from apps.moderation import merge
from apps.moderation.forms import MergeForm
from apps.moderation.permissions import Power, moderator_can
from apps.papers import selectors
from apps.papers.arxiv_ids import split_version
from apps.papers.models import Paper

TEMPLATE = "moderation/merge.html"


def _duplicate(arxiv_id: str) -> Paper:
    try:
        plain_id, _version = split_version(arxiv_id)
    except ValueError as exc:
        raise Http404("Not an arXiv id") from exc
    paper = selectors.paper_for_page(arxiv_id=plain_id)
    if paper is None:
        raise Http404("No such paper (it may have been merged already)")
    return paper


def _target(arxiv_id: str) -> Paper | None:
    """The paper to keep: by its id, or by the id of a duplicate merged into it before."""
    paper = selectors.paper_for_page(arxiv_id=arxiv_id)
    if paper is None and (target := selectors.paper_alias_target(arxiv_id=arxiv_id)):
        paper = selectors.paper_for_page(arxiv_id=target)
    return paper


def _page(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, TEMPLATE, context, status=status)


@require_http_methods(["GET", "POST"])
def paper_merge(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request, request.get_full_path())
    duplicate = _duplicate(arxiv_id)
    context: dict = {"duplicate": duplicate}
    if not moderator_can(request.user, Power.EDIT_PAPERS):
        context["refusal"] = "Only moderators who may edit papers can merge them."
        return _page(request, context, status=403)
    if request.method == "GET":
        return _page(request, {**context, "form": MergeForm()})

    form = context["form"] = MergeForm(request.POST)
    if not form.is_valid():
        return _page(request, context, status=400)
    into = _target(form.cleaned_data["into"])
    if into is None:
        form.add_error("into", f"There is no paper {form.cleaned_data['into']} on the site.")
        return _page(request, context, status=400)
    try:
        merge.merge_refusal(moderator=request.user, duplicate=duplicate, into=into)
        if not form.cleaned_data["confirm"]:
            preview = merge.merge_preview(duplicate=duplicate, into=into)
            return _page(request, {**context, "preview": preview})
        merge.paper_merge(
            moderator=request.user,
            duplicate=duplicate,
            into=into,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except PermissionDenied as exc:
        return _page(request, {**context, "refusal": str(exc)}, status=403)
    except ValidationError as exc:
        return _page(request, {**context, "refusal": " ".join(exc.messages)}, status=400)
    messages.success(request, f"Merged {duplicate.arxiv_id} into {into.arxiv_id}.")
    return redirect(into)
