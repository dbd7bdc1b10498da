from __future__ import annotations

from collections.abc import Iterable

from django import template

from apps.votes.selectors import paper_ids_voted_by, paper_ids_voted_by_user

register = template.Library()


def _paper_id(item) -> int:
    paper = getattr(item, "paper", item)
    return paper.pk


@register.simple_tag(takes_context=True)
def voted_paper_ids(context, items: Iterable) -> set[int]:
    """Once per list: ``{% voted_paper_ids entries as voted_paper_ids %}`` (papers or entries).

    The vote buttons in the list then read the set instead of asking one query each.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    return paper_ids_voted_by(user=user, paper_ids=[_paper_id(item) for item in items])


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
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if not hasattr(request, "_voted_paper_ids"):
        request._voted_paper_ids = paper_ids_voted_by_user(user=user)
    return paper.pk in request._voted_paper_ids
