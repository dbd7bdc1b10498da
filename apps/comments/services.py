"""Comments: create, edit and delete, keeping the paper's comment counter exact.

Counters follow the same rule as votes: lock the row that holds the counter, change the rows,
then recompute the counter from them in one UPDATE inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.comments.models import EDIT_WINDOW, MAX_BODY_LENGTH, Comment
from apps.comments.signals import comment_created
from apps.core.markdown import mentioned_usernames, render_markdown
from apps.core.ratelimit import Rate, ratelimit_hit
from apps.papers.models import Paper
from apps.users.models import User
from apps.users.roles import user_is_new, user_posting_refusal

COMMENT_RATE = Rate(limit=10, window=60, message="You are commenting too fast. Wait a minute.")
COMMENT_DAILY_RATE = Rate(limit=200, window=86_400, message="You reached today's comment limit.")
EDIT_RATE = Rate(limit=20, window=60, message="You are editing too fast. Wait a minute.")


@dataclass(frozen=True)
class RenderedBody:
    body: str
    html: str
    mentioned: list[User]


def _check_active(user: User, action: str) -> None:
    if refusal := user_posting_refusal(user, action):
        raise PermissionDenied(refusal)


def comment_body_clean(body: str) -> str:
    """Normalise line endings and check the length; the message says what to do."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError("Write something before posting.", code="empty")
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            f"Comments can be at most {MAX_BODY_LENGTH:,} characters; this one has {len(body):,}.",
            code="too_long",
        )
    return body


def comment_body_render(*, body: str) -> RenderedBody:
    """Markdown → sanitised HTML, with @mentions of existing users linked."""
    candidates = mentioned_usernames(body)
    mentioned = (
        list(User.objects.annotate(handle=Lower("username")).filter(handle__in=candidates))
        if candidates
        else []
    )
    links = {user.username: user.get_absolute_url() for user in mentioned}
    html = render_markdown(body, mention_links=links)
    return RenderedBody(body=body, html=html, mentioned=mentioned)


def _recount_comments(paper_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Paper._meta.db_table} SET comments_count = "  # noqa: S608 - table names from models
            f"(SELECT COUNT(*) FROM {Comment._meta.db_table} "
            "WHERE paper_id = %s AND NOT is_deleted AND visibility = %s) WHERE id = %s",
            [paper_id, Comment.Visibility.VISIBLE, paper_id],
        )


def _lock_paper(paper_id: int) -> bool | None:
    """Lock the paper row (orders changes to its counter); returns whether its discussion is
    locked, or None if the paper is gone (merged into another one meanwhile)."""
    return (
        Paper.objects.select_for_update()
        .filter(pk=paper_id)
        .values_list("discussion_locked", flat=True)
        .first()
    )


LOCKED_DISCUSSION = "This discussion is locked by a moderator: it takes no new comments."
REPLY_REFUSAL = "You can only reply to a visible comment on this paper."
PAPER_GONE = "This paper was merged into another one meanwhile; reload the page to comment."


def _lock_shown_parent(comment_id: int, paper_id: int) -> bool:
    """Lock the comment replied to (after its paper, the order ``comment_lock`` takes), if it
    is still shown on this paper: nothing can delete or move it before the reply commits."""
    return (
        Comment.objects.select_for_update()
        .filter(
            pk=comment_id,
            paper_id=paper_id,
            is_deleted=False,
            visibility=Comment.Visibility.VISIBLE,
        )
        .values_list("pk", flat=True)
        .first()
        is not None
    )


def _new_account_limit_check(author: User) -> None:
    """New accounts get a smaller daily allowance, counted from the stored comments."""
    if not user_is_new(author):
        return
    limit = settings.NEW_ACCOUNT_COMMENTS_PER_DAY
    since = timezone.now() - dt.timedelta(hours=24)
    if Comment.objects.filter(author=author, created_at__gte=since).count() >= limit:
        raise PermissionDenied(
            f"New accounts can post {limit} comments a day in their first "
            f"{settings.NEW_ACCOUNT_DAYS} days; you reached that. Try again tomorrow."
        )


def comment_create(
    *, author: User, paper: Paper, body: str, parent: Comment | None = None
) -> Comment:
    """Post a comment (or a reply to ``parent``) and notify who it replies to or mentions."""
    _check_active(author, "comment")
    body = comment_body_clean(body)
    if parent is not None and (parent.paper_id != paper.pk or not parent.is_shown):
        raise ValidationError(REPLY_REFUSAL)
    if paper.discussion_locked:
        raise PermissionDenied(LOCKED_DISCUSSION)
    ratelimit_hit(scope="comment", key=str(author.pk), rate=COMMENT_RATE)
    ratelimit_hit(scope="comment-day", key=str(author.pk), rate=COMMENT_DAILY_RATE)
    rendered = comment_body_render(body=body)
    with transaction.atomic():
        # Everything read before the lock may have changed since: the paper merged away (its
        # row deleted), its discussion locked, the parent deleted, hidden or moved. Inserting
        # anyway would fail on a foreign key at commit, a 500.
        discussion_locked = _lock_paper(paper.pk)
        if discussion_locked is None:
            raise ValidationError(PAPER_GONE, code="gone")
        if discussion_locked:
            raise PermissionDenied(LOCKED_DISCUSSION)
        if parent is not None and not _lock_shown_parent(parent.pk, paper.pk):
            raise ValidationError(REPLY_REFUSAL)
        _new_account_limit_check(author)
        comment = Comment.objects.create(
            paper=paper,
            author=author,
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
            body=rendered.body,
            body_html=rendered.html,
        )
        _recount_comments(paper.pk)
        comment_created.send(sender=Comment, comment=comment, mentioned_users=rendered.mentioned)
    return comment


def comment_update(*, comment: Comment, user: User, body: str) -> Comment:
    """The author may edit within the edit window; the comment then shows as edited."""
    _check_active(user, "edit comments")
    if comment.author_id != user.pk:
        raise PermissionDenied("Only the author can edit this comment.")
    if comment.is_deleted:
        raise PermissionDenied("This comment was deleted.")
    if comment.is_hidden:
        raise PermissionDenied("A moderator hid this comment; it cannot be edited.")
    if timezone.now() - comment.created_at > EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise PermissionDenied(f"Comments can only be edited in the first {minutes} minutes.")
    ratelimit_hit(scope="comment-edit", key=str(user.pk), rate=EDIT_RATE)
    body = comment_body_clean(body)
    rendered = comment_body_render(body=body)
    comment.body = rendered.body
    comment.body_html = rendered.html
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


def comment_lock(*, comment: Comment) -> Comment:
    """Lock the comment's paper, then the comment, and read it again (with its paper).

    The order every change here takes: a reply locks the paper and its insert then references
    the parent comment, so a caller locking the comment first (a flag crossing the hiding
    threshold) would deadlock with it. Call inside a transaction.
    """
    _lock_paper(comment.paper_id)
    return (
        Comment.objects.select_for_update(of=("self",)).select_related("paper").get(pk=comment.pk)
    )


def comment_visibility_set(*, comment: Comment, visibility: str) -> Comment:
    """Hide or show a comment (text only: the row and its replies stay) and recount the paper.

    The permission and the log belong to the caller, ``apps.moderation.services``; call it
    inside their transaction.
    """
    with transaction.atomic():
        _lock_paper(comment.paper_id)
        Comment.objects.filter(pk=comment.pk).update(visibility=visibility)
        comment.visibility = visibility
        _recount_comments(comment.paper_id)
    return comment


def comment_delete(*, comment: Comment, user: User) -> bool:
    """Delete by the author. Returns True when the row is gone, False when it stays as
    "[deleted]" because it has replies. Deleted ancestors left without replies go too."""
    if comment.author_id != user.pk:
        raise PermissionDenied("Only the author can delete this comment.")
    with transaction.atomic():
        _lock_paper(comment.paper_id)
        if comment.replies.exists():
            Comment.objects.filter(pk=comment.pk).update(is_deleted=True, body="", body_html="")
            comment.is_deleted, comment.body, comment.body_html = True, "", ""
            removed = False
        else:
            parent_id = comment.parent_id
            comment.delete()
            removed = True
            while parent_id is not None:
                parent = Comment.objects.filter(pk=parent_id, is_deleted=True).first()
                if parent is None or parent.replies.exists():
                    break
                parent_id = parent.parent_id
                parent.delete()
        _recount_comments(comment.paper_id)
    return removed


# --- Merging duplicate papers (apps.moderation.merge) -----------------------------------


def comments_move(*, source: Paper, target: Paper) -> int:
    """Move every comment of ``source`` (a duplicate being merged) to ``target``, threads
    whole, and recount both papers; returns how many moved. One UPDATE, whatever the number.

    Call with both paper rows locked (``papers.services.papers_lock_for_merge``, in the
    merge's transaction): no comment is written on either meanwhile.
    """
    with transaction.atomic():
        moved = Comment.objects.filter(paper_id=source.pk).update(paper_id=target.pk)
        _recount_comments(source.pk)
        _recount_comments(target.pk)
    return moved
