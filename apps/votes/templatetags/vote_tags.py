"""Vote marks for templates: one batched look-up per list or thread, never one per item."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote_plus

from django import template
from django.core.cache import cache
from django.db.models import Model
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.core.shared_cache import shared_data
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


# --- Cards rendered once for everyone (README, "Caching") ----------------------------------
# A rendered card is the same for every reader but for the reader's vote mark, CSRF token and
# the page it sends them back to. Each card is cached by everything it shows (a new upvote
# count is a new key) and its vote state; a list's cards are kept together as one fragment per
# data version (``shared_data``), so a reader's list costs one cache round trip, the one query
# for their vote marks, and one more round trip for the cards they voted for. The CSRF token
# and the return URL are placeholders, filled in once per list.
CARD_TEMPLATE = "partials/paper_card.html#card"
CARD_TIMEOUT = 24 * 3600
_CSRF_SLOT = "csrf-token-5e07d41a"
_NEXT_SLOT = "next-url-b1f0c9e2"


@dataclass(frozen=True)
class _CardsFragment:
    # (paper id, its card as not voted, the card cache key of it as voted), in list order
    cards: list[tuple[int, str, str]]


def _card_key(entry, *, voted: bool, signed_in: bool) -> str:
    """Everything a card shows, so that a changed paper, counter or submitter is a new key."""
    paper, submitter = entry.paper, entry.submitted_by
    parts = (
        paper.pk,
        paper.modified_at.timestamp() if paper.modified_at else "",
        paper.upvotes_count,
        paper.comments_count,
        paper.github_stars,
        paper.thumbnail.name,
        entry.author_names,
        entry.day,
        submitter.pk if submitter else "",
        submitter.public_name if submitter else "",
        submitter.username if submitter else "",  # shown next to the name
        voted,
        signed_in,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"paper-card:{digest}"


def _cards(context, entries: list, *, voted: bool, signed_in: bool) -> list[str]:
    """These entries' cards, in their order: from the card cache, else rendered (then cached)."""
    keys = [_card_key(entry, voted=voted, signed_in=signed_in) for entry in entries]
    try:
        found = cache.get_many(keys)
    except Exception:  # the cache is an optimisation: render everything without it
        found = {}
    template = context.template.engine.get_template(CARD_TEMPLATE)
    rendered = {}
    for key, entry in zip(keys, entries, strict=True):
        if key in found:
            continue
        slots = {"entry": entry, "voted": voted, "next_url": _NEXT_SLOT}
        if signed_in:
            slots["csrf_token"] = _CSRF_SLOT
        with context.push(slots):
            found[key] = rendered[key] = template.render(context)
    if rendered:
        with contextlib.suppress(Exception):
            cache.set_many(rendered, timeout=CARD_TIMEOUT)
    return [found[key] for key in keys]


def _cards_fragment(context, entries: list, *, signed_in: bool) -> _CardsFragment:
    """The cards as not voted, and where each card as voted is cached (rendered only when a
    reader who voted for it asks: most readers voted for none of a list's papers)."""
    cards = _cards(context, entries, voted=False, signed_in=signed_in)
    return _CardsFragment(
        cards=[
            (entry.paper_id, card, _card_key(entry, voted=True, signed_in=signed_in))
            for entry, card in zip(entries, cards, strict=True)
        ]
    )


def _voted_cards(context, entries: Iterable, keys: dict[int, str]) -> dict[int, str]:
    """Cards as voted, by paper id, for the cache keys the list's fragment gives: from the card
    cache, else rendered from the list's entries (read only then, so as they are now)."""
    try:
        found = cache.get_many(list(keys.values()))
    except Exception:
        found = {}
    cards = {paper_id: found[key] for paper_id, key in keys.items() if key in found}
    if len(cards) < len(keys):
        missing = [entry for entry in entries if entry.paper_id in keys.keys() - cards.keys()]
        rendered = _cards(context, missing, voted=True, signed_in=True)
        cards.update((entry.paper_id, card) for entry, card in zip(missing, rendered, strict=True))
    return cards


@register.simple_tag(takes_context=True)
def paper_cards(context, entries: Iterable, name: str = "") -> str:
    """A list's cards (daily entries with their papers) with the reader's vote marks.

    ``name`` names the list for all readers (its page and position): its cards are then
    kept as one fragment per data version, and ``entries`` (which may be lazy) is only read
    when the fragment has to be built.
    """
    request = context.get("request")
    user = _user(context)
    signed_in = bool(user and user.is_authenticated)

    def build() -> _CardsFragment:
        return _cards_fragment(context, list(entries), signed_in=signed_in)

    fragment = shared_data(f"cards:{name}:{signed_in}", build) if name else build()
    voted_ids = paper_ids_voted_by(user=user, paper_ids=[card[0] for card in fragment.cards])
    voted = {paper_id: key for paper_id, _, key in fragment.cards if paper_id in voted_ids}
    voted_cards = _voted_cards(context, entries, voted) if voted else {}
    # A paper gone from the list since the fragment was made keeps its card as not voted.
    html = "".join(
        voted_cards.get(paper_id, not_voted) for paper_id, not_voted, _ in fragment.cards
    )
    next_url = request.get_full_path() if request else "/"
    if signed_in:
        token = context.get("csrf_token")
        html = html.replace(_CSRF_SLOT, str(token)).replace(_NEXT_SLOT, escape(next_url))
    else:  # visitors' cards link to the log-in page with ?next=...
        html = html.replace(_NEXT_SLOT, escape(quote_plus(next_url)))
    return mark_safe(html)  # noqa: S308 - rendered by the card template, which escapes
