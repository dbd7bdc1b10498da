import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.comments.models import MAX_BODY_LENGTH, Comment
from apps.comments.selectors import (
    REPLIES_PER_THREAD,
    THREAD_DEPTH,
    comment_thread,
    reply_thread,
)
from apps.comments.services import (
    COMMENT_RATE,
    EDIT_RATE,
    comment_create,
    comment_delete,
    comment_update,
)
from apps.core.ratelimit import RateLimitExceeded
from apps.votes.services import vote_toggle
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db


def comments_count(paper):
    paper.refresh_from_db()
    return paper.comments_count


def test_comment_is_rendered_and_counted():
    paper, author = make_paper(), make_user()

    comment = comment_create(author=author, paper=paper, body="  Nice: $x^2$  \r\n")

    assert comment.body == "Nice: $x^2$"
    assert '<span class="math math-inline">$x^2$</span>' in comment.body_html
    assert comments_count(paper) == 1


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_empty_comment_is_refused(body):
    with pytest.raises(ValidationError, match="Write something"):
        comment_create(author=make_user(), paper=make_paper(), body=body)


def test_too_long_comment_is_refused_with_the_limit_in_the_message():
    with pytest.raises(ValidationError, match="at most 10,000 characters; this one has 10,001"):
        comment_create(author=make_user(), paper=make_paper(), body="x" * (MAX_BODY_LENGTH + 1))
    assert not Comment.objects.exists()


def test_reply_must_be_on_the_same_paper():
    parent = comment_create(author=make_user(), paper=make_paper(), body="a")

    with pytest.raises(ValidationError):
        comment_create(author=make_user(), paper=make_paper(), body="b", parent=parent)


def test_banned_user_cannot_comment():
    with pytest.raises(PermissionDenied):
        comment_create(author=make_user(is_banned=True), paper=make_paper(), body="spam")


def test_comments_are_rate_limited_per_user():
    paper, author = make_paper(), make_user()
    for index in range(COMMENT_RATE.limit):
        comment_create(author=author, paper=paper, body=f"comment {index}")

    with pytest.raises(RateLimitExceeded, match="commenting too fast"):
        comment_create(author=author, paper=paper, body="one more")
    comment_create(author=make_user(), paper=paper, body="someone else")
    assert comments_count(paper) == COMMENT_RATE.limit + 1


def _tree(thread):
    def walk(nodes):
        return [(node.comment.body, walk(node.children)) for node in nodes]

    return walk(thread.roots)


def test_thread_nests_replies_and_sorts_by_best_or_newest():
    paper = make_paper()
    users = [make_user() for _ in range(4)]
    base = timezone.now() - dt.timedelta(hours=1)
    old = comment_create(author=users[0], paper=paper, body="old")
    new = comment_create(author=users[1], paper=paper, body="new")
    reply_a = comment_create(author=users[2], paper=paper, body="reply a", parent=old)
    reply_b = comment_create(author=users[3], paper=paper, body="reply b", parent=old)
    for offset, comment in enumerate([old, new, reply_a, reply_b]):
        Comment.objects.filter(pk=comment.pk).update(created_at=base + dt.timedelta(minutes=offset))
    for user in users[:2]:
        vote_toggle(user=user, item=old)
        vote_toggle(user=user, item=reply_b)

    best = comment_thread(paper=paper, sort="best")
    newest = comment_thread(paper=paper, sort="new")

    assert _tree(best) == [("old", [("reply b", []), ("reply a", [])]), ("new", [])]
    assert _tree(newest) == [("new", []), ("old", [("reply b", []), ("reply a", [])])]
    assert comment_thread(paper=paper, sort="bogus").sort == "best"


def test_replies_know_their_thread_s_top_level_comment():
    paper = make_paper()
    top = comment_create(author=make_user(), paper=paper, body="top")
    reply = comment_create(author=make_user(), paper=paper, body="reply", parent=top)
    deeper = comment_create(author=make_user(), paper=paper, body="deeper", parent=reply)

    assert (top.root_id, reply.root_id, deeper.root_id) == (None, top.pk, top.pk)
    assert Comment.objects.get(pk=deeper.pk).root == top


def test_deep_threads_are_continued_on_the_permalink():
    paper, author = make_paper(), make_user()
    parent = None
    chain = []
    for level in range(THREAD_DEPTH + 2):
        parent = Comment.objects.create(
            paper=paper, author=author, parent=parent, depth=level, body=str(level), body_html=""
        )
        chain.append(parent)

    thread = comment_thread(paper=paper)
    node = thread.roots[0]
    while node.children:
        node = node.children[0]
    assert node.comment == chain[REPLIES_PER_THREAD]  # the thread's share of the page
    assert node.more_replies == 1
    more = reply_thread(comment=node.comment, depth=node.depth + 1, after=node.more_cursor)
    node = more.roots[0]
    while node.children:
        node = node.children[0]

    assert node.depth == THREAD_DEPTH - 1
    assert node.continued
    assert node.replies_count == 1
    assert node.more_replies == 0  # "continue this thread" instead
    focused = reply_thread(comment=node.comment)
    assert focused.focus.comment == node.comment
    assert focused.focus.depth == 0
    assert [reply.comment for reply in focused.roots] == [chain[THREAD_DEPTH]]
    assert focused.roots[0].children[0].comment == chain[THREAD_DEPTH + 1]


def test_author_can_edit_within_fifteen_minutes_and_it_shows_as_edited():
    comment = comment_create(author=make_user(), paper=make_paper(), body="first")

    comment_update(comment=comment, user=comment.author, body="second **bold**")

    comment.refresh_from_db()
    assert comment.body == "second **bold**"
    assert "<strong>bold</strong>" in comment.body_html
    assert comment.edited_at is not None


def test_edit_after_the_window_is_refused():
    comment = comment_create(author=make_user(), paper=make_paper(), body="first")
    comment.created_at = timezone.now() - dt.timedelta(minutes=15, seconds=1)
    comment.save(update_fields=["created_at"])

    with pytest.raises(PermissionDenied, match="first 15 minutes"):
        comment_update(comment=comment, user=comment.author, body="late")
    assert not comment.in_edit_window


def test_only_the_author_can_edit_or_delete():
    comment = comment_create(author=make_user(), paper=make_paper(), body="mine")
    other = make_user()

    with pytest.raises(PermissionDenied):
        comment_update(comment=comment, user=other, body="hijack")
    with pytest.raises(PermissionDenied):
        comment_delete(comment=comment, user=other)


def test_deleting_a_comment_without_replies_removes_it():
    paper = make_paper()
    comment = comment_create(author=make_user(), paper=paper, body="bye")

    assert comment_delete(comment=comment, user=comment.author) is True

    assert not Comment.objects.exists()
    assert comments_count(paper) == 0


def test_deleting_a_comment_with_replies_leaves_deleted_placeholder():
    paper = make_paper()
    parent = comment_create(author=make_user(), paper=paper, body="secret")
    reply = comment_create(author=make_user(), paper=paper, body="reply", parent=parent)

    assert comment_delete(comment=parent, user=parent.author) is False

    parent.refresh_from_db()
    assert parent.is_deleted
    assert parent.body == ""
    assert parent.body_html == ""
    assert comments_count(paper) == 1
    thread = comment_thread(paper=paper)
    assert thread.roots[0].comment.is_deleted
    assert thread.roots[0].children[0].comment == reply

    # When its last reply goes, the placeholder goes too.
    comment_delete(comment=reply, user=reply.author)
    assert not Comment.objects.exists()
    assert comments_count(paper) == 0


def test_edits_are_rate_limited():
    author = make_user()
    comment = comment_create(author=author, paper=make_paper(), body="v0")
    for i in range(EDIT_RATE.limit):
        comment_update(comment=comment, user=author, body=f"v{i + 1}")
    with pytest.raises(RateLimitExceeded, match="editing too fast"):
        comment_update(comment=comment, user=author, body="one too many")
