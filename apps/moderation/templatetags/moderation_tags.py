"""Moderation where the content is: the reader's own flags and the moderator's powers, each
read once per request however many comments a page shows."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.db.models import Count, Q

from apps.comments.models import Comment
from apps.moderation.models import Flag
from apps.moderation.permissions import Power, moderator_powers
from apps.papers.models import Paper
from apps.users.roles import user_is_moderator

register = template.Library()


@dataclass(frozen=True)
class FlagMark:
    """The reader's flag on an item: open ones can be withdrawn, reviewed ones cannot."""

    pk: int
    is_open: bool


def _reader(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return request, (user if user is not None and user.is_authenticated else None)


@register.simple_tag(takes_context=True)
def moderation_powers(context) -> frozenset[Power]:
    """What the reader may do as a moderator (``{% if "hide_comments" in powers %}``).

    Computed once per request: nothing for visitors, one query for members (are they in the
    moderators group), the permissions once more for moderators.
    """
    request, user = _reader(context)
    if user is None:
        return frozenset()
    if not hasattr(request, "_moderation_powers"):
        powers = moderator_powers(user) if user_is_moderator(user) else set()
        request._moderation_powers = frozenset(powers)
    return request._moderation_powers


def _paper_flag_marks(request, user, paper_id: int) -> dict[tuple[str, int], FlagMark]:
    """The reader's flags on a paper and on all its comments: one query per paper and request,
    shared by the paper's own flag link and every comment of its thread."""
    cache = request.__dict__.setdefault("_flag_marks", {})
    if paper_id not in cache:
        rows = Flag.objects.filter(flagged_by=user).filter(
            Q(paper_id=paper_id) | Q(comment__paper_id=paper_id)
        )
        cache[paper_id] = {
            ("paper", paper_id) if paper_id_ else ("comment", comment_id): FlagMark(
                pk=pk, is_open=resolution == Flag.Resolution.OPEN
            )
            for pk, paper_id_, comment_id, resolution in rows.values_list(
                "pk", "paper_id", "comment_id", "resolution"
            )
        }
    return cache[paper_id]


def reader_flag(request, item: Paper | Comment) -> FlagMark | None:
    """The reader's flag on a paper or a comment, or None (always None for visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if isinstance(item, Comment):
        return _paper_flag_marks(request, user, item.paper_id).get(("comment", item.pk))
    return _paper_flag_marks(request, user, item.pk).get(("paper", item.pk))


@register.simple_tag(takes_context=True)
def item_flag(context, item: Paper | Comment) -> FlagMark | None:
    """``{% item_flag comment as flag_mark %}``: see :func:`reader_flag`."""
    return reader_flag(context.get("request"), item)


@register.simple_tag
def open_flags_count(paper: Paper) -> dict[str, int]:
    """Open flags on the paper itself and on its comments, for the moderator tools panel."""
    return Flag.objects.filter(
        Q(paper=paper) | Q(comment__paper=paper), resolution=Flag.Resolution.OPEN
    ).aggregate(
        paper=Count("pk", filter=Q(paper=paper)),
        comments=Count("pk", filter=Q(comment__isnull=False)),
    )
