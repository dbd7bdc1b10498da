"""Every upvote, on papers and comments alike: one row per user and item, one toggle.

Every change locks the item row first, then inserts or deletes the vote, then sets the item's
``upvotes_count`` from ``COUNT(*)`` in one UPDATE, all in one transaction. The lock orders
concurrent votes on an item, so each recount (a new snapshot under READ COMMITTED) sees every
earlier committed vote: the count always equals the rows, and a double click from two tabs
toggles on then off instead of racing. A paper's trending score is refreshed in the same
transaction, since it is computed from the same rows.
"""

# SQL here is built from model metadata (table and column names), never from input:
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction

from apps.comments.models import Comment
from apps.core.ratelimit import Rate, ratelimit_hit
from apps.papers.models import Paper
from apps.papers.ranking import TRENDING_EPOCH, TRENDING_HALF_LIFE
from apps.users.models import User
from apps.users.roles import user_posting_refusal
from apps.votes.models import CommentVote, Vote

DELETED_COMMENT_REFUSAL = "Deleted or hidden comments cannot be voted on."
VOTE_RATE = Rate(limit=60, window=60, message="You are voting too fast. Wait a minute and retry.")

Votable = Paper | Comment


@dataclass(frozen=True)
class VoteState:
    voted: bool
    upvotes_count: int


@dataclass(frozen=True)
class _VoteTable:
    """Where the votes on one kind of item live, and the SQL of a vote on it.

    A vote is the hottest write of the site: each statement is one round trip with no ORM
    query building. Table names come from the models.
    """

    item_model: type[models.Model]
    vote_model: type[models.Model]
    item_column: str
    # A condition on the item row that must hold for it to take votes.
    votable_when: str = "true"

    @cached_property
    def sql(self) -> dict[str, str]:
        items, votes, column = (
            self.item_model._meta.db_table,
            self.vote_model._meta.db_table,
            self.item_column,
        )
        return {
            "lock": f"SELECT {self.votable_when} FROM {items} WHERE id = %(item)s FOR UPDATE",
            "toggle": (
                f"WITH removed AS (DELETE FROM {votes} WHERE user_id = %(user)s "
                f"AND {column} = %(item)s RETURNING 1) "
                f"INSERT INTO {votes} (user_id, {column}, created_at) "
                "SELECT %(user)s, %(item)s, now() WHERE NOT EXISTS (SELECT 1 FROM removed) "
                "RETURNING 1"
            ),
            "add": (
                f"INSERT INTO {votes} (user_id, {column}, created_at) "
                f"VALUES (%(user)s, %(item)s, now()) ON CONFLICT (user_id, {column}) DO NOTHING"
            ),
            "remove": f"DELETE FROM {votes} WHERE user_id = %(user)s AND {column} = %(item)s",
            "recount": (
                f"UPDATE {items} SET upvotes_count = "
                f"(SELECT COUNT(*) FROM {votes} WHERE {column} = %(item)s) "
                "WHERE id = %(item)s RETURNING upvotes_count"
            ),
            "recount_many": (
                f"UPDATE {items} AS item SET upvotes_count = "
                f"(SELECT COUNT(*) FROM {votes} v WHERE v.{column} = item.id) "
                "WHERE item.id = ANY(%(items)s)"
            ),
            # In id order, the order single votes lock them in: no deadlock with them.
            "lock_voted_by": (
                f"SELECT id FROM {items} WHERE id IN "
                f"(SELECT {column} FROM {votes} WHERE user_id = %(user)s) ORDER BY id FOR UPDATE"
            ),
            "remove_all": f"DELETE FROM {votes} WHERE user_id = %(user)s",
        }


_PAPERS = _VoteTable(item_model=Paper, vote_model=Vote, item_column="paper_id")
_COMMENTS = _VoteTable(
    item_model=Comment,
    vote_model=CommentVote,
    item_column="comment_id",
    votable_when=f"NOT is_deleted AND visibility = '{Comment.Visibility.VISIBLE}'",
)
_TABLES = {Paper: _PAPERS, Comment: _COMMENTS}


def _table(item: Votable) -> _VoteTable:
    return _TABLES[item._meta.concrete_model]


def _set_vote(*, user: User, item: Votable, want: bool | None) -> VoteState:
    """Set the vote to ``want`` (``None``: toggle) and return the new state."""
    if refusal := user_posting_refusal(user, "vote"):
        raise PermissionDenied(refusal)
    if isinstance(item, Comment) and not item.is_shown:  # refused before it counts as a vote
        raise PermissionDenied(DELETED_COMMENT_REFUSAL)
    table = _table(item)
    ratelimit_hit(scope="vote", key=str(user.pk), rate=VOTE_RATE)
    params = {"user": user.pk, "item": item.pk}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(table.sql["lock"], params)
        row = cursor.fetchone()
        if row is None:
            raise item.DoesNotExist(f"{item._meta.verbose_name} {item.pk} is gone.")
        if not row[0]:  # deleted or hidden since it was read
            raise PermissionDenied(DELETED_COMMENT_REFUSAL)
        if want is None:
            cursor.execute(table.sql["toggle"], params)
            voted = cursor.fetchone() is not None
        else:
            cursor.execute(table.sql["add" if want else "remove"], params)
            voted = want
        cursor.execute(table.sql["recount"], params)
        item.upvotes_count = cursor.fetchone()[0]
        if table is _PAPERS:
            trending_scores_refresh(paper_ids=[item.pk])
    return VoteState(voted=voted, upvotes_count=item.upvotes_count)


def vote_toggle(*, user: User, item: Votable) -> VoteState:
    """Upvote the paper or comment, or take the upvote back if the user had already voted."""
    return _set_vote(user=user, item=item, want=None)


def vote_set(*, user: User, item: Votable, voted: bool) -> VoteState:
    """Make the user's vote on the item exist (or not), whatever it was: idempotent."""
    return _set_vote(user=user, item=item, want=voted)


def votes_remove_all(*, user: User) -> int:
    """Remove every vote of a user (account deletion) and recount what they voted on.

    Returns how many items were recounted. Run inside the deletion's transaction.
    """
    recounted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (_PAPERS, _COMMENTS):
            cursor.execute(table.sql["lock_voted_by"], {"user": user.pk})
            item_ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(table.sql["remove_all"], {"user": user.pk})
            upvotes_recount(item_model=table.item_model, ids=item_ids)
            recounted += len(item_ids)
    return recounted


def votes_move(*, source: Paper, target: Paper) -> int:
    """Move the votes on ``source`` (a duplicate being merged) to ``target``; returns the
    target's new count.

    A user who voted on both keeps one vote, the target's. Call with both paper rows locked
    (``papers.services.papers_lock_for_merge``, in the merge's transaction), so no vote on
    either slips in meanwhile; two statements and a recount, whatever the number of votes.
    """
    votes, papers = Vote._meta.db_table, Paper._meta.db_table
    params = {"source": source.pk, "target": target.pk, "ids": sorted([source.pk, target.pk])}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {votes} AS v SET paper_id = %(target)s WHERE v.paper_id = %(source)s "
            f"AND NOT EXISTS (SELECT 1 FROM {votes} t "
            "WHERE t.paper_id = %(target)s AND t.user_id = v.user_id)",
            params,
        )
        cursor.execute(f"DELETE FROM {votes} WHERE paper_id = %(source)s", params)
        upvotes_recount(item_model=Paper, ids=params["ids"])
        cursor.execute(f"SELECT upvotes_count FROM {papers} WHERE id = %(target)s", params)
        target.upvotes_count = cursor.fetchone()[0]
    return target.upvotes_count


def upvotes_recount(*, item_model: type[Paper] | type[Comment], ids: list[int]) -> None:
    """Set these papers' or comments' ``upvotes_count`` (and papers' trending score) from
    their vote rows: for votes written in bulk (demo data, account deletion)."""
    table = _TABLES[item_model]
    with connection.cursor() as cursor:
        cursor.execute(table.sql["recount_many"], {"items": ids})
    if table is _PAPERS:
        trending_scores_refresh(paper_ids=ids)


# --- Trending -----------------------------------------------------------------------------
# See apps/papers/ranking.py for the formula; the score lives on the paper, it is computed
# here from the vote rows.
_TRENDING_UPDATE = """
WITH vote_age AS (
    SELECT paper_id, extract(epoch FROM created_at - %(epoch)s)::float8 / %(half_life)s AS x
    FROM {votes} {vote_where}
), newest AS (
    SELECT paper_id, max(x) AS m FROM vote_age GROUP BY paper_id
), heat AS (
    SELECT a.paper_id, n.m + ln(sum(power(2.0::float8, a.x - n.m))) / ln(2.0) AS score
    FROM vote_age a JOIN newest n USING (paper_id)
    GROUP BY a.paper_id, n.m
)
UPDATE {papers} AS paper SET trending_score = fresh.score
FROM (
    SELECT p.id, coalesce(heat.score, 0) AS score
    FROM {papers} p LEFT JOIN heat ON heat.paper_id = p.id
    {where}
) AS fresh
WHERE paper.id = fresh.id AND paper.trending_score IS DISTINCT FROM fresh.score
"""


def trending_scores_refresh(*, paper_ids: list[int] | None = None) -> int:
    """Recompute ``Paper.trending_score`` from the vote rows in one UPDATE; returns how many
    changed.

    Each vote refreshes its paper; the beat task runs it over every paper as a safety net for
    votes changed in bulk. Unchanged rows are not rewritten.
    """
    only = paper_ids is not None
    sql = _TRENDING_UPDATE.format(
        votes=Vote._meta.db_table,
        papers=Paper._meta.db_table,
        vote_where="WHERE paper_id = ANY(%(ids)s)" if only else "",
        where="WHERE p.id = ANY(%(ids)s)" if only else "",
    )
    params = {
        "epoch": TRENDING_EPOCH,
        "half_life": TRENDING_HALF_LIFE.total_seconds(),
        "ids": list(paper_ids or []),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
