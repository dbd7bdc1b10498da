"""Moderation where the content is: the reader's own flags and the moderator's powers, each
read once per request however many comments a page shows."""

from __future__ import annotations

from django import template

from apps.comments.models import Comment
from apps.moderation import selectors
from apps.moderation.permissions import Power, moderator_powers
from apps.moderation.selectors import FlagMark, reader_flag
from apps.papers.models import Paper
from apps.users.roles import user_is_moderator

register = template.Library()


def _reader(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return request, (user if user is not None and user.is_authenticated else None)


@register.simple_tag(takes_context=True)
def moderation_powers(context) -> frozenset[Power]:
    """What the reader may do as a moderator (``{% if "hide_comments" in powers %}``).

    Computed once per request: nothing for visitors and members (the session's user is loaded
    with its moderators group membership, apps.users.backends), the permissions once for
    moderators.
    """
    request, user = _reader(context)
    if user is None:
        return frozenset()
    if not hasattr(request, "_moderation_powers"):
        powers = moderator_powers(user) if user_is_moderator(user) else set()
        request._moderation_powers = frozenset(powers)
    return request._moderation_powers


@register.simple_tag(takes_context=True)
def item_flag(context, item: Paper | Comment) -> FlagMark | None:
    """``{% item_flag comment as flag_mark %}``: see :func:`reader_flag`."""
    return reader_flag(context.get("request"), item)


@register.simple_tag
def open_flags_count(paper: Paper) -> dict[str, int]:
    """``{% open_flags_count paper as flags %}``: see :func:`selectors.open_flags_count`."""
    return selectors.open_flags_count(paper=paper)
