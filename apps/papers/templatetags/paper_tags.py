"""Template helpers for paper text and author lists."""

import re

from django import template

from apps.papers import selectors
from apps.papers.models import AuthorClaim, Paper

register = template.Library()

# Unescaped TeX delimiters: $$, $, \( \), \[ \].
_MATH_TOKEN = re.compile(r"(?<!\\)(\$\$|\$|\\\(|\\\)|\\\[|\\\])")
_CLOSING = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}


def _open_math_at(text: str, cut: int) -> str | None:
    """The closing delimiter still expected at ``cut``, if ``cut`` falls inside maths."""
    expected = None
    for match in _MATH_TOKEN.finditer(text, 0, cut):
        token = match.group(1)
        if expected is None and token in _CLOSING:
            expected = _CLOSING[token]
        elif token == expected:
            expected = None
    return expected


@register.filter
def math_excerpt(text: str, length: int = 320) -> str:
    """Shorten ``text`` to about ``length`` characters at a word boundary, never cutting
    through a formula (a half formula would show as raw TeX instead of rendered maths)."""
    text = " ".join(str(text).split())
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length + 1)
    cut = cut if cut > 0 else length
    closing = _open_math_at(text, cut)
    while closing is not None:
        end = text.find(closing, cut)
        if end == -1 or end - cut > 200:
            # Too long to keep: stop before the formula instead.
            starts = [m.start() for m in _MATH_TOKEN.finditer(text, 0, cut)]
            cut = starts[-1] if starts else cut
        else:
            cut = end + len(closing)
        closing = _open_math_at(text, cut)
    return text[:cut].rstrip(" ,;:") + "\N{HORIZONTAL ELLIPSIS}"


@register.simple_tag
def author_names(names: list[str] | None, limit: int) -> str:
    """A card's authors: the first ``limit`` names, then "et al." (plain, escaped text)."""
    names = names or []
    shown = ", ".join(names[:limit])
    return f"{shown} et al." if len(names) > limit else shown


@register.inclusion_tag("papers/partials/paper_authors.html", takes_context=True)
def paper_authors(context: template.Context, paper: Paper) -> dict:
    """The author list with claimed names linked to profiles, and the claim form.

    Expects ``paper.authorships`` prefetched with their authors; adds one query for the
    approved claims and, for a logged-in reader, one for their own claims on the paper.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    authorships = list(paper.authorships.all())
    approved = selectors.approved_claims_for_papers(papers=[paper])
    own_claims: list[AuthorClaim] = []
    if user is not None and user.is_authenticated:
        own_claims = list(
            selectors.claims_by_user_on_paper(user=user, paper=paper).select_related(
                "authorship__author"
            )
        )
    open_claim = next((c for c in own_claims if c.status != AuthorClaim.Status.REJECTED), None)
    # The claim whose state the reader sees: the open one, else the latest rejected one (with
    # the moderator's reason and, unless used or the slot is taken, one chance to ask again).
    own_claim = open_claim or next(iter(own_claims), None)
    claimed_before = {claim.authorship_id for claim in own_claims}
    claimable = [a for a in authorships if a.pk not in approved and a.pk not in claimed_before]
    return {
        "paper": paper,
        "rows": [(authorship, approved.get(authorship.pk)) for authorship in authorships],
        "user": user,
        "own_claim": own_claim,
        "can_ask_again": own_claim is not None
        and own_claim.status == AuthorClaim.Status.REJECTED
        and not own_claim.asked_again
        and own_claim.authorship_id not in approved,
        "claimable": claimable if open_claim is None else [],
    }
