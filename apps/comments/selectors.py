"""Reads for discussions: a whole thread in one query, however many comments it has."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from apps.comments.models import Comment
from apps.papers.models import Paper
from apps.users.models import User

# Replies deeper than this are behind a "continue this thread" link to the permalink.
THREAD_DEPTH = 6
SORTS = {"best": "Best", "new": "Newest"}
DEFAULT_SORT = "best"


@dataclass
class CommentNode:
    comment: Comment
    depth: int
    children: list[CommentNode] = field(default_factory=list)
    descendants: int = 0

    @property
    def continued(self) -> bool:
        """Its replies are not shown here; the permalink shows them."""
        return self.depth >= THREAD_DEPTH - 1 and bool(self.children)


@dataclass
class Thread:
    paper: Paper
    roots: list[CommentNode]
    sort: str
    focus: Comment | None = None
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


def _sort_key(sort: str):
    if sort == "new":
        return lambda node: (-node.comment.created_at.timestamp(), -node.comment.pk)
    return lambda node: (-node.comment.upvotes_count, node.comment.created_at, node.comment.pk)


def comment_thread(
    *, paper: Paper, sort: str = DEFAULT_SORT, focus_id: int | None = None
) -> Thread:
    """The paper's comments as a sorted tree; with ``focus_id``, that comment's subtree only.

    One query for the comments with their authors, however many there are.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    comments = list(Comment.objects.filter(paper=paper).select_related("author"))
    nodes: dict[int, CommentNode] = {}
    for comment in comments:
        comment.paper = paper  # every comment is on this paper: no query per permalink
        nodes[comment.pk] = CommentNode(comment=comment, depth=0)
    roots: list[CommentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id) if node.comment.parent_id else None
        (parent.children if parent else roots).append(node)
    focus = None
    if focus_id is not None:
        focus = nodes[focus_id].comment if focus_id in nodes else None
        roots = [nodes[focus_id]] if focus else []
    key = _sort_key(sort)
    roots.sort(key=key)
    # Breadth-first without recursion: a reply chain of any length cannot exhaust the stack.
    order: list[CommentNode] = []
    level = roots
    depth = 0
    while level:
        next_level = []
        for node in level:
            node.depth = depth
            node.children.sort(key=key)
            order.append(node)
            next_level.extend(node.children)
        level, depth = next_level, depth + 1
    for node in reversed(order):
        node.descendants = sum(1 + child.descendants for child in node.children)
    shown = [node.comment.pk for node in order]
    return Thread(paper=paper, roots=roots, sort=sort, focus=focus, comment_ids=shown)
