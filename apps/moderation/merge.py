"""Merging a duplicate paper into the paper it duplicates, in one transaction.

Everything of value moves, each app with its own function: votes (a user who voted on both
keeps one vote), comments with their threads, the daily entry (of two, the earlier day's
stays: that is when the community first saw the paper), author claims (to the same author on
the target; a claim that cannot move is dropped and its claimant told), submissions,
announcements and flags. Then the duplicate's id becomes an alias of the target (its pages
and API URL redirect there, ingestion does not bring it back) and its row goes, with only
what is worth nothing without it (its versions and author list). A constant number of
queries, whatever the number of votes and comments.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.comments.services import comments_move
from apps.ingestion.services import announcements_move
from apps.moderation.log import log_action, notify, paper_label, reason_clean, with_reason
from apps.moderation.models import Flag, ModerationAction
from apps.moderation.permissions import Power, refuse_own_paper, require_power
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.services import (
    author_claims_move,
    daily_entry_merge,
    paper_replace_with_alias,
    papers_lock_for_merge,
)
from apps.submissions.services import submissions_move
from apps.users.models import User
from apps.votes.models import Vote
from apps.votes.services import votes_move


@dataclass(frozen=True)
class MergePreview:
    """What a moderator sees before confirming: both papers and the votes they share."""

    duplicate: Paper
    into: Paper
    shared_voters: int

    @property
    def upvotes_after(self) -> int:
        return self.duplicate.upvotes_count + self.into.upvotes_count - self.shared_voters

    @property
    def comments_after(self) -> int:
        return self.duplicate.comments_count + self.into.comments_count


def merge_preview(*, duplicate: Paper, into: Paper) -> MergePreview:
    shared = Vote.objects.filter(
        paper=duplicate, user__in=Vote.objects.filter(paper=into).values("user")
    ).count()
    return MergePreview(duplicate=duplicate, into=into, shared_voters=shared)


def merge_refusal(*, moderator: User, duplicate: Paper, into: Paper) -> None:
    """Raise PermissionDenied or ValidationError when this merge may not happen.

    The moderator needs the power to edit papers, and may not have submitted or written
    (an approved author claim) either paper.
    """
    require_power(moderator, Power.EDIT_PAPERS)
    if duplicate.pk == into.pk:
        raise ValidationError("A paper cannot be merged into itself.", code="same")
    refuse_own_paper(moderator, duplicate, into)


def _flags_move(duplicate: Paper, into: Paper, moderator: User) -> None:
    """Flags follow the paper (one per user: a user's flag already on the target stays);
    open "duplicate" flags on the target are upheld by the merge."""
    Flag.objects.filter(paper=duplicate).exclude(
        flagged_by__in=Flag.objects.filter(paper=into).values("flagged_by")
    ).update(paper=into)
    Flag.objects.filter(paper=duplicate).delete()
    Flag.objects.filter(
        paper=into, reason=Flag.Reason.DUPLICATE, resolution=Flag.Resolution.OPEN
    ).update(resolution=Flag.Resolution.UPHELD, resolved_at=timezone.now(), resolved_by=moderator)


@transaction.atomic
def paper_merge(
    *, moderator: User, duplicate: Paper, into: Paper, reason: str, note: str = ""
) -> Paper:
    """Merge ``duplicate`` into ``into`` (see the module's docstring); returns ``into``."""
    require_power(moderator, Power.EDIT_PAPERS)
    reason = reason_clean(reason, required=True, who="the submitter")
    duplicate, into = papers_lock_for_merge(duplicate=duplicate, into=into)
    merge_refusal(moderator=moderator, duplicate=duplicate, into=into)
    entry = DailyEntry.objects.filter(paper=duplicate).select_related("submitted_by").first()
    submitter = entry.submitted_by if entry else None

    votes_move(source=duplicate, target=into)
    comments_move(source=duplicate, target=into)
    daily_entry_merge(source=duplicate, target=into)
    dropped_claims = author_claims_move(source=duplicate, target=into)
    submissions_move(source=duplicate, target=into)
    announcements_move(source=duplicate, target=into)
    _flags_move(duplicate, into, moderator)
    paper_replace_with_alias(duplicate=duplicate, into=into)

    into.refresh_from_db(fields=["upvotes_count", "comments_count", "trending_score"])
    url = into.get_absolute_url()
    log_action(
        moderator=moderator,
        action=ModerationAction.Action.PAPER_MERGE,
        target_type=ModerationAction.TargetType.PAPER,
        target_id=into.pk,
        label=f"{duplicate.arxiv_id} merged into {paper_label(into)}",
        url=url,
        subject_user=submitter,
        reason=reason,
        note=note,
    )
    notify(
        submitter,
        subject=f"{duplicate.arxiv_id}, which you submitted, was merged into {into.arxiv_id}",
        message=with_reason(
            f"A moderator merged “{duplicate.title}” into the same paper already on the site, "
            f"“{into.title}” ({into.arxiv_id}): its votes and discussion are there now.",
            reason,
        ),
        url=url,
    )
    for claim in dropped_claims:
        if claim.status != AuthorClaim.Status.REJECTED:
            notify(
                claim.user,
                subject=f"Your author claim on {duplicate.arxiv_id} did not carry over",
                message=(
                    f"A moderator merged {duplicate.arxiv_id} into {into.arxiv_id}, where your "
                    f"claim to be {claim.authorship.author.name} could not follow: that author "
                    f"is not listed there, or is claimed already. If you are one of its "
                    f"authors, claim your place from the paper's page."
                ),
                url=url,
            )
    return into
