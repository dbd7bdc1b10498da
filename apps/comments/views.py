from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import reswap, retarget

from apps.comments import services
from apps.comments.forms import CommentForm
from apps.comments.models import Comment
from apps.comments.selectors import CommentNode, comment_thread, reply_thread
from apps.core.htmx import vary_on_htmx
from apps.core.navigation import login_redirect
from apps.core.ratelimit import Rate, RateLimitExceeded, ratelimit_hit
from apps.core.shared_cache import shared_page
from apps.papers.models import Paper
from apps.papers.selectors import paper_alias_target

COMMENT_TEMPLATE = "comments/partials/comment.html"
DISCUSSION_TEMPLATE = "comments/partials/discussion.html"
# Previews follow typing (debounced), so the limit is generous; it stops scripted abuse.
PREVIEW_RATE = Rate(limit=120, window=60, message="Preview paused: you are typing very fast.")


def _paper_url(paper: Paper) -> str:
    return f"{paper.get_absolute_url()}#discussion"


def _refusal(form: CommentForm, exc: Exception) -> int:
    """Put a service's refusal on the form; the status code says which kind it was."""
    if isinstance(exc, RateLimitExceeded):
        form.add_error(None, str(exc))
        return 429
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You cannot do that.")
        return 403
    form.add_error(None, exc)
    return 422


def _node(comment: Comment) -> CommentNode:
    return CommentNode(comment=comment, depth=comment.depth)


def _comment_for(pk: int) -> Comment:
    return get_object_or_404(Comment.objects.select_related("paper", "author"), pk=pk)


def _page_query(request: HttpRequest) -> dict[str, str]:
    """The sort and the cursor asked for (the discussion's links carry both)."""
    query = {"sort": request.GET.get("sort", "")}
    if after := request.GET.get("after", ""):
        query["after"] = after
    return query


@shared_page
@vary_on_htmx
@require_http_methods(["GET", "POST"])
def paper_comments(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """GET (htmx): the thread in another sort order, or with ``after``, the next page of
    top-level comments. POST: a new comment or reply."""
    paper = get_object_or_404(Paper, arxiv_id=arxiv_id)
    if request.method == "GET":
        query = _page_query(request)
        if not request.htmx:
            return redirect(f"{paper.get_absolute_url()}?{urlencode(query)}#discussion")
        thread = comment_thread(paper=paper, **query)
        partial = "page" if "after" in query else "thread"
        context = {"paper": paper, "thread": thread}
        return render(request, f"{DISCUSSION_TEMPLATE}#{partial}", context)
    if not request.user.is_authenticated:
        return login_redirect(request, _paper_url(paper))
    form = CommentForm(request.POST)
    parent, status = None, 422
    if form.is_valid() and form.cleaned_data["parent"]:
        parent = (
            Comment.objects.select_related("author")
            .filter(pk=form.cleaned_data["parent"], paper=paper)
            .first()
        )
        if parent is None:
            form.add_error(None, "The comment you replied to no longer exists.")
    if form.is_valid():
        try:
            comment = services.comment_create(
                author=request.user, paper=paper, body=form.cleaned_data["body"], parent=parent
            )
        except (ValidationError, PermissionDenied, RateLimitExceeded) as exc:
            status = _refusal(form, exc)
        else:
            if not request.htmx:
                return redirect(f"{paper.get_absolute_url()}#comment-{comment.pk}")
            paper.refresh_from_db(fields=["comments_count"])
            comment.paper = paper
            node = CommentNode(comment=comment, depth=comment.depth)
            context = {"paper": paper, "node": node, "parent": parent}
            return render(request, "comments/partials/created.html", context)
    context = {"paper": paper, "form": form, "parent": parent}
    if request.htmx:
        response = render(request, f"{DISCUSSION_TEMPLATE}#comment_form", context, status=status)
        form_id = f"reply-form-{parent.pk}" if parent else "comment-form"
        return reswap(retarget(response, f"#{form_id}"), "outerHTML")
    return render(request, "comments/comment_form_page.html", context, status=status)


@vary_on_htmx
@require_http_methods(["GET"])
def comment_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The reply form: inline under the comment with htmx, a page of its own without."""
    parent = _comment_for(pk)
    if not request.user.is_authenticated:
        return login_redirect(request, parent.get_absolute_url())
    if not parent.is_shown:
        raise Http404("This comment was deleted or hidden by a moderator.")
    if request.htmx and request.GET.get("cancel"):
        return HttpResponse("")  # empties the reply slot
    if parent.paper.discussion_locked:  # the comment's page says so too
        if not request.htmx:
            messages.error(request, services.LOCKED_DISCUSSION)
            return redirect(parent.get_absolute_url())
        refusal = '<p class="form-errors" role="alert">{}</p>'
        return HttpResponse(format_html(refusal, services.LOCKED_DISCUSSION), status=403)
    context = {"paper": parent.paper, "parent": parent, "form": None}
    if request.htmx:
        return render(request, f"{DISCUSSION_TEMPLATE}#comment_form", context)
    return render(request, "comments/comment_form_page.html", context)


@vary_on_htmx
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(pk)
    if not request.user.is_authenticated:
        return login_redirect(request, comment.get_absolute_url())
    if request.method == "GET" and request.htmx and request.GET.get("cancel"):
        context = {"comment": comment, "node": _node(comment)}
        return render(request, f"{COMMENT_TEMPLATE}#comment_article", context)
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    status, refusal = 200, ""
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.comment_update(
                    comment=comment, user=request.user, body=form.cleaned_data["body"]
                )
            except (ValidationError, PermissionDenied, RateLimitExceeded) as exc:
                status = _refusal(form, exc)
            else:
                if not request.htmx:
                    return redirect(comment.get_absolute_url())
                context = {"comment": comment, "node": _node(comment)}
                return render(request, f"{COMMENT_TEMPLATE}#comment_article", context)
    elif comment.author_id != request.user.pk or not comment.in_edit_window:
        status = 403
        refusal = "You can only edit your own comments, in the first 15 minutes."
    context = {
        "comment": comment,
        "paper": comment.paper,
        "form": form,
        "editing": True,
        "refusal": refusal,
    }
    if request.htmx:
        return render(request, f"{COMMENT_TEMPLATE}#edit_form", context, status=status)
    return render(request, "comments/comment_form_page.html", context, status=status)


@vary_on_htmx
@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_for(pk)
    if not request.user.is_authenticated:
        return login_redirect(request, comment.get_absolute_url())
    try:
        removed = services.comment_delete(comment=comment, user=request.user)
    except PermissionDenied as exc:
        refused = HttpResponse(str(exc), status=403, content_type="text/plain")
        return reswap(refused, "none") if request.htmx else refused
    if not request.htmx:
        return redirect(_paper_url(comment.paper))
    # The "Discussion (N)" count goes along out of band, as the service just recounted it.
    paper = comment.paper
    paper.refresh_from_db(fields=["comments_count"])
    count = render_to_string(f"{DISCUSSION_TEMPLATE}#count", {"paper": paper, "oob": True})
    if removed:
        return reswap(retarget(HttpResponse(count), f"#c-{pk}"), "delete")
    context = {"comment": comment, "node": _node(comment)}
    article = render_to_string(f"{COMMENT_TEMPLATE}#comment_article", context, request)
    return HttpResponse(article + count)


@require_POST
def comment_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown as it will look once posted (sanitised the same way)."""
    if not request.user.is_authenticated:
        return HttpResponse('<p class="muted">Log in to preview.</p>', status=403)
    try:
        ratelimit_hit(scope="preview", key=str(request.user.pk), rate=PREVIEW_RATE)
    except RateLimitExceeded as exc:
        return render(request, "comments/partials/preview.html", {"message": str(exc)}, status=429)
    try:
        body = services.comment_body_clean(request.POST.get("body", ""))
    except ValidationError as exc:
        empty = exc.code == "empty"
        return render(
            request,
            "comments/partials/preview.html",
            {"message": "Nothing to preview yet." if empty else exc.messages[0]},
        )
    html = services.comment_body_render(body=body).html
    return render(request, "comments/partials/preview.html", {"html": html})


def _thread_comment(arxiv_id: str, pk: int) -> Comment | None:
    return (
        Comment.objects.select_related("paper", "author")
        .filter(pk=pk, paper__arxiv_id=arxiv_id)
        .first()
    )


@shared_page
@vary_on_htmx
@require_safe
def comment_replies(request: HttpRequest, arxiv_id: str, pk: int) -> HttpResponse:
    """htmx: a page of the comment's replies, in place of its "N more replies" or "Continue
    this thread" link. Without htmx, the same replies on the comment's page."""
    comment = _thread_comment(arxiv_id, pk)
    if comment is None:
        raise Http404("No such comment on this paper.")
    query = _page_query(request)
    if not request.htmx:
        return redirect(f"{comment.get_absolute_url()}?{urlencode(query)}")
    try:
        depth = int(request.GET.get("depth", "1"))
    except ValueError:
        depth = 1
    thread = reply_thread(comment=comment, depth=depth, **query)
    context = {"paper": comment.paper, "thread": thread}
    return render(request, "comments/partials/replies.html", context)


@shared_page
@require_safe
def comment_permalink(request: HttpRequest, arxiv_id: str, pk: int) -> HttpResponse:
    """One comment and a page of its replies (where "continue this thread" leads without
    htmx); under a merged duplicate's id, a permanent redirect to the same comment under the
    kept paper's id."""
    comment = _thread_comment(arxiv_id, pk)
    if comment is None:
        if Paper.objects.filter(arxiv_id=arxiv_id).exists():
            raise Http404("No such comment on this paper.")
        if target := paper_alias_target(arxiv_id=arxiv_id):
            return redirect("comments:detail", arxiv_id=target, pk=pk, permanent=True)
        raise Http404("No such paper.")
    thread = reply_thread(comment=comment, **_page_query(request))
    return render(request, "comments/permalink.html", {"paper": comment.paper, "thread": thread})
