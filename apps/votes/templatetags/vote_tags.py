"""Vote marks for templates: one batched look-up per list or thread, never one per item."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.db.models import Model

from apps.votes.selectors import (
    comment_ids_voted_by,
    paper_ids_voted_by,
    paper_ids_voted_by_user,
)

register = template.Library()


def _user(context):
    return getattr(context.get("request"), "user", None)


def _paper_id(item) -> int:
    paper = getattr(item, "paper", item)
    return paper.pk


@register.simple_tag(takes_context=True)
def voted_paper_ids(context, items: Iterable | Model) -> set[int]:
    """Once per list: ``{% voted_paper_ids entries as voted_paper_ids %}`` (papers or entries,
    or a single paper for a page with one button).

    The vote buttons in the list then read the set instead of asking one query each.
    """
    if isinstance(items, Model):
        items = [items]
    return paper_ids_voted_by(user=_user(context), paper_ids=[_paper_id(item) for item in items])


@register.simple_tag(takes_context=True)
def paper_is_voted(context, paper) -> bool:
    """Whether the current user upvoted ``paper``.

    From the list's batch set when the page made one; otherwise from all the user's votes,
    fetched once per request, so a list page that did not ask first still makes one query.
    """
    batch = context.get("voted_paper_ids")
    if batch is not None:
        return paper.pk in batch
    request = context.get("request")
    user = _user(context)
    if user is None or not user.is_authenticated:
        return False
    if not hasattr(request, "_voted_paper_ids"):
        request._voted_paper_ids = paper_ids_voted_by_user(user=user)
    return paper.pk in request._voted_paper_ids


@register.simple_tag(takes_context=True)
def voted_comment_ids(context, comment_ids: Iterable[int]) -> set[int]:
    """Once per thread: ``{% voted_comment_ids thread.comment_ids as voted_comment_ids %}``."""
    return comment_ids_voted_by(user=_user(context), comment_ids=comment_ids)


@register.simple_tag(takes_context=True)
def comment_is_voted(context, comment) -> bool:
    """From the thread's batch set when there is one, else one query for this comment."""
    batch = context.get("voted_comment_ids")
    if batch is None:
        batch = comment_ids_voted_by(user=_user(context), comment_ids=[comment.pk])
    return comment.pk in batch
