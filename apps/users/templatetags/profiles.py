from __future__ import annotations

from django import template

from apps.papers.models import Paper
from apps.users import selectors
from apps.users.models import AuthorClaim

register = template.Library()


@register.inclusion_tag("users/partials/avatar.html")
def avatar(user, size: int = 32) -> dict:
    """A circle with the person's initials: no uploads, no third-party image service."""
    return {"avatar_user": user, "size": size}


@register.inclusion_tag("users/partials/paper_authors.html", takes_context=True)
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
        own_claims = list(selectors.claims_by_user_on_paper(user=user, paper=paper))
    open_claim = next((c for c in own_claims if c.status != AuthorClaim.Status.REJECTED), None)
    claimed_before = {claim.authorship_id for claim in own_claims}
    claimable = [a for a in authorships if a.pk not in approved and a.pk not in claimed_before]
    return {
        "paper": paper,
        "rows": [(authorship, approved.get(authorship.pk)) for authorship in authorships],
        "user": user,
        "own_claim": open_claim,
        "claimable": claimable if open_claim is None else [],
    }
