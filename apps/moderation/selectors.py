"""Reads for the moderators' area (queues, users) and the public log.

Each queue is read in a fixed number of queries however long it is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from apps.comments.models import Comment
from apps.moderation.models import Flag, ModerationAction
from apps.moderation.permissions import Power
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.submissions.models import Submission
from apps.users.models import User
from apps.users.roles import MODERATORS_GROUP

# A moderator works from the top of a queue; each item carries its forms (and, for flags,
# every flag), so a short page keeps the queue fast to render (bench/README.md).
QUEUE_PAGE_SIZE = 20
USERS_PAGE_SIZE = 50
# Per flagged item, the flags listed with their author and words (the counts cover them all).
FLAGS_LISTED = 10
HISTORY_PAGE_SIZE = 50
LOG_PAGE_SIZE = 50

FlagKind = Literal["paper", "comment"]


def _page(queryset, number: str | int | None, per_page: int) -> Page:
    return Paginator(queryset, per_page).get_page(number)


# --- Queue sizes --------------------------------------------------------------------------


def _open_flags() -> QuerySet[Flag]:
    return Flag.objects.filter(resolution=Flag.Resolution.OPEN)


def pending_submissions_count() -> int:
    return Submission.objects.filter(status=Submission.Status.PENDING).count()


def flagged_items_count() -> int:
    """Items (papers and comments) with at least one open flag."""
    counts = _open_flags().aggregate(
        papers=Count("paper_id", distinct=True), comments=Count("comment_id", distinct=True)
    )
    return counts["papers"] + counts["comments"]


def pending_claims_count() -> int:
    return AuthorClaim.objects.filter(status=AuthorClaim.Status.PENDING).count()


QUEUE_COUNTS = {
    "submissions": (Power.REVIEW_SUBMISSIONS, pending_submissions_count),
    "flags": (Power.HANDLE_FLAGS, flagged_items_count),
    "claims": (Power.REVIEW_CLAIMS, pending_claims_count),
}


def queue_counts(*, powers: set[Power]) -> dict[str, int]:
    """The size of each queue the moderator may work on (one query per queue)."""
    return {name: count() for name, (power, count) in QUEUE_COUNTS.items() if power in powers}


# --- Submissions --------------------------------------------------------------------------


def submissions_for_review() -> QuerySet[Submission]:
    """Submissions with their paper and submitter, for the queue and its items."""
    return Submission.objects.select_related("paper", "submitted_by").defer("paper__search_vector")


def submissions_pending(*, page: str | int | None = None) -> Page:
    """Pending submissions, oldest first (the queue is worked through in order)."""
    pending = submissions_for_review().filter(status=Submission.Status.PENDING)
    return _page(pending.order_by("created_at", "pk"), page, QUEUE_PAGE_SIZE)


# --- Flags --------------------------------------------------------------------------------


@dataclass
class FlaggedItem:
    """A paper or a comment with its open flags, as the flags queue shows it."""

    kind: FlagKind
    item: Paper | Comment
    flags: list[Flag] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.item.pk

    @property
    def count(self) -> int:
        return len(self.flags)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """(reason label, count), the most given first."""
        counts = Counter(flag.get_reason_display() for flag in self.flags)
        return counts.most_common()

    @property
    def details(self) -> list[Flag]:
        """The first flags that say something in their own words ("other" always does)."""
        return [flag for flag in self.flags if flag.text][:FLAGS_LISTED]

    @property
    def listed_flags(self) -> list[Flag]:
        """The first flags, for "who flagged": a pile-on of hundreds adds nothing past these."""
        return self.flags[:FLAGS_LISTED]

    @property
    def unlisted_count(self) -> int:
        return max(0, self.count - FLAGS_LISTED)

    @property
    def first_flagged_at(self):
        return min(flag.created_at for flag in self.flags)


def _flags_with_items() -> QuerySet[Flag]:
    """Open flags with their author and item (a comment with its paper and author) joined."""
    return (
        _open_flags()
        .select_related("flagged_by", "paper", "comment__paper", "comment__author")
        .defer(
            "paper__abstract",
            "paper__search_vector",
            "comment__body",
            "comment__paper__abstract",
            "comment__paper__search_vector",
        )
        .order_by("created_at", "pk")
    )


def _group(flags: list[Flag]) -> dict[tuple[str, int], FlaggedItem]:
    items: dict[tuple[str, int], FlaggedItem] = {}
    for flag in flags:
        if flag.comment_id:
            key, item = ("comment", flag.comment_id), flag.comment
        else:
            key, item = ("paper", flag.paper_id), flag.paper
        items.setdefault(key, FlaggedItem(kind=key[0], item=item)).flags.append(flag)
    return items


def flagged_items(*, page: str | int | None = None) -> Page:
    """Items with open flags, most flagged first (then the longest waiting): the page's items
    in one grouped query, all their flags, authors and items in a second (plus the count)."""
    grouped = (
        _open_flags()
        .values("paper_id", "comment_id")
        .annotate(flag_count=Count("pk"), first_at=Min("created_at"))
        .order_by("-flag_count", "first_at", "paper_id", "comment_id")
    )
    page_obj = _page(grouped, page, QUEUE_PAGE_SIZE)
    keys = [
        ("comment", row["comment_id"]) if row["comment_id"] else ("paper", row["paper_id"])
        for row in page_obj.object_list
    ]
    paper_ids = [pk for kind, pk in keys if kind == "paper"]
    comment_ids = [pk for kind, pk in keys if kind == "comment"]
    items = _group(
        list(_flags_with_items().filter(Q(paper_id__in=paper_ids) | Q(comment_id__in=comment_ids)))
    )
    # An item whose flags were resolved between the two queries drops out.
    page_obj.object_list = [items[key] for key in keys if key in items]
    return page_obj


def flagged_item(*, kind: FlagKind, pk: int) -> FlaggedItem | None:
    """One item of the queue with its open flags; None when it has none."""
    flags = list(_flags_with_items().filter(**{f"{kind}_id": pk}))
    return _group(flags).get((kind, pk))


# --- Author claims ------------------------------------------------------------------------


def claims_for_review() -> QuerySet[AuthorClaim]:
    """Claims with the claimant, the author's name and the paper, and how many other claims
    the claimant has made (any state)."""
    others = (
        AuthorClaim.objects.filter(user_id=OuterRef("user_id"))
        .exclude(pk=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        AuthorClaim.objects.select_related("user", "authorship__author", "authorship__paper")
        .defer("authorship__paper__abstract", "authorship__paper__search_vector")
        .annotate(other_claims=Coalesce(Subquery(others, output_field=IntegerField()), 0))
    )


def claims_pending(*, page: str | int | None = None) -> Page:
    pending = claims_for_review().filter(status=AuthorClaim.Status.PENDING)
    return _page(pending.order_by("created_at", "pk"), page, QUEUE_PAGE_SIZE)


# --- Users --------------------------------------------------------------------------------


def _with_roles(users: QuerySet[User]) -> QuerySet[User]:
    in_group = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=MODERATORS_GROUP
    )
    return users.annotate(in_moderators_group=Exists(in_group))


def users_search(*, query: str, page: str | int | None = None) -> Page:
    """Accounts whose handle starts with ``query`` (any letter case); without a query, the
    accounts under a ban or a suspension, latest first."""
    users = User.objects.all()
    if "\x00" in query:  # no handle has one, and PostgreSQL text cannot hold it (an error)
        users = users.none()
    elif query:
        users = users.filter(username__istartswith=query).order_by("username")
    else:
        users = users.filter(Q(is_banned=True) | Q(suspended_until__gt=timezone.now())).order_by(
            "-date_joined", "pk"
        )
    return _page(_with_roles(users), page, USERS_PAGE_SIZE)


def _count(queryset: QuerySet, group_by: str | None = None) -> Coalesce:
    """How many rows ``queryset`` has, as a subquery; grouped by ``group_by`` (the outer key),
    or without grouping (COUNT over the whole subquery) when it is None."""
    if group_by is None:
        counted = queryset.order_by().annotate(count=Func("pk", function="COUNT"))
    else:
        counted = queryset.order_by().values(group_by).annotate(count=Count("pk"))
    return Coalesce(Subquery(counted.values("count"), output_field=IntegerField()), 0)


def user_for_moderation(*, username: str) -> User | None:
    """The account with its counts (comments, submissions, flags on its comments and on the
    papers it put on a day's list) in one query."""
    user = OuterRef("pk")
    users = User.objects.filter(username__iexact=username).annotate(
        comments_total=_count(Comment.objects.filter(author=user), "author"),
        submissions_total=_count(Submission.objects.filter(submitted_by=user), "submitted_by"),
        comment_flags=_count(Flag.objects.filter(comment__author=user), "comment__author"),
        # The papers' ids from their daily entries (one per paper), without joining the
        # papers: half the work for a prolific submitter (thousands of entries).
        paper_flags=_count(
            Flag.objects.filter(
                paper_id__in=DailyEntry.objects.filter(submitted_by=OuterRef(user)).values(
                    "paper_id"
                )
            )
        ),
    )
    return _with_roles(users).first()


def user_history(*, user: User, page: str | int | None = None) -> Page:
    """What moderators (and community flags) did about this account, newest first, with the
    private notes: for moderators only."""
    actions = ModerationAction.objects.filter(subject_user=user).select_related("moderator")
    return _page(actions.order_by("-created_at", "-pk"), page, HISTORY_PAGE_SIZE)


# --- The public log -----------------------------------------------------------------------


def log_entries(*, moderator: str = "", action: str = "", target_type: str = "") -> QuerySet:
    """The public log, newest first, filtered by the moderator's handle, the action and the
    item's type. Only public fields are read: never the subject user or the note."""
    entries = ModerationAction.objects.select_related("moderator").only(
        "created_at",
        "moderator_name",
        "moderator__username",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "target_url",
        "reason",
    )
    if moderator:
        entries = entries.filter(moderator_name__iexact=moderator)
    if action:
        entries = entries.filter(action=action)
    if target_type:
        entries = entries.filter(target_type=target_type)
    return entries.order_by("-created_at", "-pk")


def log_page(*, page: str | int | None = None, **filters: str) -> Page:
    return _page(log_entries(**filters), page, LOG_PAGE_SIZE)


# --- The reader's own flags (the Flag controls on a paper's page) ---------------------------


@dataclass(frozen=True)
class FlagMark:
    """The reader's flag on an item: open ones can be withdrawn, reviewed ones cannot."""

    pk: int
    is_open: bool


def _paper_flag_marks(
    request: HttpRequest, user: User, paper_id: int
) -> dict[tuple[str, int], FlagMark]:
    """The reader's flags on a paper and on all its comments: one query per paper and request,
    shared by the paper's own flag link and every comment of its thread."""
    cache = request.__dict__.setdefault("_flag_marks", {})
    if paper_id not in cache:
        # The comments' ids in a subquery, not a join: OR across a LEFT JOIN to the comments
        # makes PostgreSQL hash-join all of them.
        comments = Comment.objects.filter(paper_id=paper_id).values("pk")
        rows = Flag.objects.filter(flagged_by=user).filter(
            Q(paper_id=paper_id) | Q(comment_id__in=comments)
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


def reader_flag(request: HttpRequest | None, item: Paper | Comment) -> FlagMark | None:
    """The reader's flag on a paper or a comment, or None (always None for visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if isinstance(item, Comment):
        return _paper_flag_marks(request, user, item.paper_id).get(("comment", item.pk))
    return _paper_flag_marks(request, user, item.pk).get(("paper", item.pk))


def open_flags_count(*, paper: Paper) -> dict[str, int]:
    """Open flags on the paper itself and on its comments, for the moderator tools panel."""
    # As in _paper_flag_marks: the paper's comments in a subquery (an index scan), not a join
    # (a hash join reading every comment: 70-100 ms at 140,000 comments).
    comments = Comment.objects.filter(paper=paper).values("pk")
    return Flag.objects.filter(
        Q(paper=paper) | Q(comment_id__in=comments), resolution=Flag.Resolution.OPEN
    ).aggregate(
        paper=Count("pk", filter=Q(paper=paper)),
        comments=Count("pk", filter=Q(comment__isnull=False)),
    )
