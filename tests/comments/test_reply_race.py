"""A reply racing the deletion of what it replies to (its parent, or its paper merged away):
refused with a message, never a foreign-key violation (a 500). Real transactions."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.comments.models import Comment
from apps.comments.services import PAPER_GONE, REPLY_REFUSAL, comment_create, comment_delete
from apps.moderation.merge import paper_merge
from apps.papers.models import Paper
from tests.factories import make_paper, make_user
from tests.moderation.conftest import make_moderator

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(call, errors: list[BaseException]) -> threading.Thread:
    def run():
        try:
            call()
        except Exception as exc:  # collected and checked in the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_reply_and_parent_deletion_at_the_same_moment_never_fail_on_the_foreign_key():
    paper = make_paper()
    author, replier = make_user(), make_user()
    for _ in range(7):
        parent = comment_create(author=author, paper=paper, body="Soon gone")
        barrier, errors = threading.Barrier(2), []

        def delete(parent=parent, barrier=barrier):
            barrier.wait(timeout=30)
            comment_delete(comment=parent, user=author)

        def reply(parent=parent, barrier=barrier):
            barrier.wait(timeout=30)
            comment_create(author=replier, paper=paper, body="Re", parent=parent)

        threads = [_in_thread(delete, errors), _in_thread(reply, errors)]
        for thread in threads:
            thread.join(timeout=60)

        # Either the reply came first (the parent stays as "[deleted]" above it) or it is
        # refused with the reason.
        assert [exc.messages for exc in errors] in ([], [[REPLY_REFUSAL]])
    paper.refresh_from_db()
    assert paper.comments_count == Comment.objects.filter(paper=paper, is_deleted=False).count()


def test_reply_to_a_parent_deleted_after_the_page_read_it_is_refused():
    paper, author = make_paper(), make_user()
    parent = comment_create(author=author, paper=paper, body="Soon gone")
    read_by_the_reply = Comment.objects.get(pk=parent.pk)  # the reply's view read it
    comment_delete(comment=parent, user=author)

    with pytest.raises(ValidationError) as refused:
        comment_create(author=make_user(), paper=paper, body="Re", parent=read_by_the_reply)

    assert refused.value.messages == [REPLY_REFUSAL]
    assert not Comment.objects.exists()


def test_reply_on_a_paper_merged_away_meanwhile_is_refused():
    """The reply's view read the paper and the parent; then a moderator merged the paper into
    another one (its row deleted, the parent moved) before the reply took its lock."""
    duplicate, into = make_paper(), make_paper()
    parent = comment_create(author=make_user(), paper=duplicate, body="On the duplicate")
    paper_read = Paper.objects.get(pk=duplicate.pk)
    parent_read = Comment.objects.get(pk=parent.pk)
    paper_merge(moderator=make_moderator(), duplicate=duplicate, into=into, reason="Same paper")

    for reply_to in (parent_read, None):
        with pytest.raises(ValidationError) as refused:
            comment_create(author=make_user(), paper=paper_read, body="Re", parent=reply_to)
        assert refused.value.messages == [PAPER_GONE]
    assert list(Comment.objects.values_list("paper_id", flat=True)) == [into.pk]


def test_reply_waiting_on_a_merge_in_progress_is_refused_when_it_commits():
    duplicate, into = make_paper(), make_paper()
    parent = comment_create(author=make_user(), paper=duplicate, body="On the duplicate")
    moderator, replier = make_moderator(), make_user()
    merging, release, errors = threading.Event(), threading.Event(), []

    def merge():
        with transaction.atomic():
            paper_merge(moderator=moderator, duplicate=duplicate, into=into, reason="Same")
            merging.set()
            release.wait(timeout=30)  # holds both papers' locks until the reply waits on one

    def reply():
        merging.wait(timeout=30)
        comment_create(author=replier, paper=duplicate, body="Re", parent=parent)

    threads = [_in_thread(merge, errors), _in_thread(reply, errors)]
    merging.wait(timeout=30)
    time.sleep(0.5)  # the reply is now blocked on the duplicate's row lock
    release.set()
    for thread in threads:
        thread.join(timeout=60)

    assert [getattr(exc, "messages", exc) for exc in errors] == [[PAPER_GONE]]
    assert Comment.objects.get().paper_id == into.pk
