"""Reads for discussions: a page of threads in a constant number of queries, however many
comments the paper has.

A page is up to ``PAGE_SIZE`` comments with the same parent (the paper's top-level comments, or
the replies of one comment) in the order asked for, each with at most ``REPLIES_PER_THREAD`` of
its replies, chosen level by level in that order: every reply shown has its parent shown, and
the replies shown under a comment are its first ones. What is left out is one link away: "N more
replies" (a comment's replies after the last one shown), "Continue this thread" (below
``THREAD_DEPTH`` levels) and "More comments" (the next page). Pages start after a cursor (the
sort key of the last comment shown), not at an offset, so a comment posted meanwhile neither
repeats one nor hides one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from apps.comments.links import CommentLinks
from apps.comments.models import Comment
from apps.papers.models import Paper
from apps.users.models import User

# Replies deeper than this below the page's comments are behind "continue this thread".
THREAD_DEPTH = 6
# Comments per page, and replies shown under each: at most 10 * (1 + 3) comments a page. Their
# markup is most of the cost of a page: 40 keep a paper's first view near 30 ms (anonymous) or
# 50 ms (logged in) and under 100 KB whatever its number of comments (bench/discussion_bench.py).
PAGE_SIZE = 10
REPLIES_PER_THREAD = 3
SORTS = {"best": "Best", "new": "Newest"}
DEFAULT_SORT = "best"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_MAX_ID = 2**63 - 1


@dataclass
class CommentNode:
    comment: Comment
    depth: int  # the level on the page (0: the page's own comments)
    children: list[CommentNode] = field(default_factory=list)
    replies_count: int = 0  # its direct replies, shown or not
    more_replies: int = 0  # its direct replies after the shown ones, behind "N more replies"
    more_cursor: str = ""  # the cursor they start after ("": its first reply)
    patterns: CommentLinks | None = None  # one for all the nodes of a page

    @property
    def continued(self) -> bool:
        """Its replies are behind "continue this thread" rather than shown here."""
        return self.depth >= THREAD_DEPTH - 1 and self.replies_count > 0

    @property
    def links(self) -> CommentLinks:
        if self.patterns is None:
            self.patterns = CommentLinks.for_paper(self.comment.paper.arxiv_id)
        return self.patterns

    @property
    def permalink(self) -> str:
        return self.links.permalink(self.comment.pk)

    @property
    def replies_url(self) -> str:
        return self.links.replies(self.comment.pk)

    @property
    def reply_url(self) -> str:
        return self.links.reply(self.comment.pk)

    @property
    def edit_url(self) -> str:
        return self.links.edit(self.comment.pk)

    @property
    def delete_url(self) -> str:
        return self.links.delete(self.comment.pk)

    @property
    def author_url(self) -> str:
        return self.links.profile_of(self.comment.author.username)


@dataclass
class Thread:
    paper: Paper
    roots: list[CommentNode]  # the page's comments
    sort: str
    after: str = ""  # the cursor this page starts after ("": the first page)
    next_cursor: str = ""  # the cursor of the next page ("": this is the last)
    # Replies pages: the comment whose replies they are (its more_* fields say what is left).
    focus: CommentNode | None = None
    # Every comment shown, for one batched look-up of the reader's votes on them.
    comment_ids: list[int] = field(default_factory=list)
    sorts = SORTS


def comments_by_user(*, user: User) -> QuerySet[Comment]:
    """A user's visible comments, newest first, with their papers (for profiles)."""
    return (
        Comment.objects.filter(author=user, is_deleted=False, visibility=Comment.Visibility.VISIBLE)
        .select_related("paper")
        .order_by("-created_at", "-pk")
    )


# --- Sort orders and cursors --------------------------------------------------------------


def _sort(sort: str) -> str:
    return sort if sort in SORTS else DEFAULT_SORT


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def comment_cursor(comment: Comment, sort: str) -> str:
    """The comment's place in the sort order, as the ``after`` of the page that follows it."""
    micros = _micros(comment.created_at)
    if sort == "new":
        return f"{micros}.{comment.pk}"
    return f"{comment.upvotes_count}.{micros}.{comment.pk}"


def _sort_key(sort: str) -> Callable[[Comment], tuple]:
    if sort == "new":
        return lambda comment: (-_micros(comment.created_at), -comment.pk)
    return lambda comment: (-comment.upvotes_count, comment.created_at, comment.pk)


def _after(sort: str, cursor: str) -> tuple[str, tuple] | None:
    """SQL for the comments after ``cursor`` in the sort order; None for a malformed cursor.

    Its first condition alone is a range on the index's leading sort column, so the index scan
    starts at the cursor instead of filtering every comment before it.
    """
    try:
        numbers = [int(part) for part in cursor.split(".")]
        if not all(0 <= number <= _MAX_ID for number in numbers):
            return None
        at = _EPOCH + numbers[-2] * _MICROSECOND if len(numbers) >= 2 else None
    except (ValueError, OverflowError):
        return None
    if sort == "new" and len(numbers) == 2:
        sql = "AND created_at <= %s AND (created_at < %s OR id < %s)"
        return sql, (at, at, numbers[1])
    if sort == "best" and len(numbers) == 3:
        votes, pk = numbers[0], numbers[2]
        sql = (
            "AND upvotes_count <= %s AND (upvotes_count < %s OR created_at > %s "
            "OR (created_at = %s AND id > %s))"
        )
        return sql, (votes, votes, at, at, pk)
    return None


# --- Queries -------------------------------------------------------------------------------
# Raw SQL for the ids (a lateral join, a recursive walk), the ORM for the rows: one query a page.

_TABLE = Comment._meta.db_table
_SQL_ORDERINGS = {
    "best": "upvotes_count DESC, created_at, id",
    "new": "created_at DESC, id DESC",
}
# Siblings after the cursor, in the sort order: a page of them, plus one that says whether
# another page follows (indexes comments_roots_best/new, or the parent index).
_PAGE_SQL = f"SELECT id FROM {_TABLE} WHERE {{siblings}} {{after}} ORDER BY {{order}} LIMIT %s"  # noqa: S608
# A page of top-level comments, then the first REPLIES_PER_THREAD replies of each, level by
# level: each thread's read from the front of its index by ``root`` (comments_thread_best/new),
# so however long a thread is, it costs REPLIES_PER_THREAD index entries.
_THREAD_SQL = f"""
WITH page AS ({_PAGE_SQL})
SELECT id FROM page
UNION ALL
SELECT reply.id FROM page, LATERAL (
    SELECT id FROM {_TABLE}
    WHERE root_id = page.id AND depth < %s
    ORDER BY depth, {{order}} LIMIT %s
) reply
"""  # noqa: S608
# A page of one comment's replies, and theirs down to an absolute depth, the first
# REPLIES_PER_THREAD under each level by level: a walk down the parent index, then a window
# partitioned by the page's comment each descends from (which comes first in its partition).
# The walk reads the replies within THREAD_DEPTH levels below the page, not the discussion.
_SUBTREE_SQL = f"""
WITH RECURSIVE page AS ({_PAGE_SQL}),
tree (id, start_id, depth, upvotes_count, created_at) AS (
    SELECT id, id, depth, upvotes_count, created_at FROM {_TABLE}
    WHERE id IN (SELECT id FROM page)
  UNION ALL
    SELECT reply.id, tree.start_id, reply.depth, reply.upvotes_count, reply.created_at
    FROM {_TABLE} reply JOIN tree ON reply.parent_id = tree.id
    WHERE reply.depth < %s
)
SELECT id FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY start_id ORDER BY depth, {{order}}) AS rank
    FROM tree
) ranked WHERE rank <= %s
"""  # noqa: S608
# How many direct replies a comment has, shown or not (the parent index).
_REPLIES_COUNT_SQL = f"SELECT COUNT(*) FROM {_TABLE} reply WHERE reply.parent_id = {_TABLE}.id"  # noqa: S608
# How many replies the comment has from the cursor on (run once for the page).
_FOLLOWING_SQL = f"SELECT COUNT(*) FROM {_TABLE} WHERE parent_id = %s {{after}}"  # noqa: S608


def _rows(ids: RawSQL, **annotations) -> list[Comment]:
    """The comments of ``ids`` with their authors and how many replies each has."""
    rows = Comment.objects.filter(pk__in=ids).select_related("author")
    return list(rows.annotate(replies_count=RawSQL(_REPLIES_COUNT_SQL, ()), **annotations))  # noqa: S611


def _cursor_sql(sort: str, after: str) -> tuple[str, tuple, str]:
    """The cursor condition (nothing for the first page or a malformed cursor) and the cursor
    if it was valid."""
    condition = _after(sort, after) if after else None
    return (*condition, after) if condition else ("", (), "")


def _thread_rows(paper: Paper, sort: str, after: str) -> tuple[list[Comment], str]:
    """A page of the paper's top-level comments and the first replies of each."""
    condition, params, after = _cursor_sql(sort, after)
    sql = _THREAD_SQL.format(
        siblings="paper_id = %s AND parent_id IS NULL", after=condition, order=_SQL_ORDERINGS[sort]
    )
    params = (paper.pk, *params, PAGE_SIZE + 1, THREAD_DEPTH, REPLIES_PER_THREAD)
    return _rows(RawSQL(sql, params)), after  # noqa: S611 - values as parameters


def _subtree_rows(
    comment: Comment, sort: str, after: str, start_depth: int
) -> tuple[list[Comment], str]:
    """A page of ``comment``'s replies with theirs; each row also says how many replies there
    are from the cursor on (``following``)."""
    condition, params, after = _cursor_sql(sort, after)
    order = _SQL_ORDERINGS[sort]
    sql = _SUBTREE_SQL.format(siblings="parent_id = %s", after=condition, order=order)
    below = comment.depth + 1 + THREAD_DEPTH - start_depth
    ids = RawSQL(sql, (comment.pk, *params, PAGE_SIZE + 1, below, 1 + REPLIES_PER_THREAD))  # noqa: S611
    following = RawSQL(_FOLLOWING_SQL.format(after=condition), (comment.pk, *params))  # noqa: S611
    return _rows(ids, following=following), after


# --- Trees ---------------------------------------------------------------------------------


@dataclass
class _Forest:
    roots: list[CommentNode]
    shown: list[int]
    next_cursor: str
    links: CommentLinks


def _forest(
    paper: Paper, rows: list[Comment], parent_id: int | None, sort: str, start_depth: int
) -> _Forest:
    """The rows as trees under the page's comments (those replying to ``parent_id``), replies
    in the sort order under their parents; the page's extra comment only says another page
    follows."""
    key = _sort_key(sort)
    links = CommentLinks.for_paper(paper.arxiv_id)
    rows.sort(key=key)
    starts = [row for row in rows if row.parent_id == parent_id]
    top = starts[0].depth if starts else 0
    nodes: dict[int, CommentNode] = {}
    for comment in rows:
        comment.paper = paper  # every comment is on this paper: no query per permalink
        nodes[comment.pk] = CommentNode(
            comment=comment,
            depth=start_depth + comment.depth - top,
            replies_count=comment.replies_count,
            patterns=links,
        )
    for comment in rows:  # in the sort order, so children are too
        parent = nodes.get(comment.parent_id) if comment.parent_id != parent_id else None
        if parent is not None:
            parent.children.append(nodes[comment.pk])
    roots = [nodes[start.pk] for start in starts[:PAGE_SIZE]]
    shown: list[int] = []
    level = roots
    while level:  # breadth first: a reply chain of any length cannot exhaust the stack
        for node in level:
            shown.append(node.comment.pk)
            if not node.continued:
                node.more_replies = node.replies_count - len(node.children)
                if node.more_replies and node.children:
                    node.more_cursor = comment_cursor(node.children[-1].comment, sort)
        level = [child for node in level for child in node.children]
    more = len(starts) > PAGE_SIZE
    return _Forest(
        roots=roots,
        shown=shown,
        next_cursor=comment_cursor(starts[PAGE_SIZE - 1], sort) if more else "",
        links=links,
    )


def comment_thread(*, paper: Paper, sort: str = DEFAULT_SORT, after: str = "") -> Thread:
    """A page of the paper's top-level comments (after the cursor ``after``) with their first
    replies: one query, whatever the number of comments."""
    sort = _sort(sort)
    rows, after = _thread_rows(paper, sort, after)
    forest = _forest(paper, rows, None, sort, start_depth=0)
    return Thread(
        paper=paper,
        roots=forest.roots,
        sort=sort,
        after=after,
        next_cursor=forest.next_cursor,
        comment_ids=forest.shown,
    )


def reply_thread(
    *, comment: Comment, sort: str = DEFAULT_SORT, after: str = "", depth: int = 1
) -> Thread:
    """A page of ``comment``'s replies (after the cursor ``after``) with theirs, the first at
    level ``depth``: ``thread.focus`` is the comment, with the page as its children. One
    query."""
    sort = _sort(sort)
    depth = min(max(depth, 0), THREAD_DEPTH - 1)
    rows, after = _subtree_rows(comment, sort, after, depth)
    forest = _forest(comment.paper, rows, comment.pk, sort, start_depth=depth)
    following = (rows[0].following or 0) if rows else 0
    focus = CommentNode(
        comment=comment,
        depth=depth - 1,
        patterns=forest.links,
        children=forest.roots,
        more_replies=following - len(forest.roots),
        more_cursor=forest.next_cursor,
    )
    return Thread(
        paper=comment.paper,
        roots=forest.roots,
        sort=sort,
        after=after,
        next_cursor=forest.next_cursor,
        focus=focus,
        comment_ids=[comment.pk, *forest.shown],
    )
