"""Real concurrent transactions: each thread has its own PostgreSQL connection."""

import threading

import pytest
from django.db import connection

from apps.papers.models import Paper
from apps.votes.models import Vote
from apps.votes.services import vote_toggle
from tests.factories import make_paper, make_user

VOTERS = 50


def _run_concurrently(calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_many_users_voting_at_once_and_a_double_click_leave_count_equal_to_rows():
    paper = make_paper()
    voters = [make_user() for _ in range(VOTERS)]
    double_clicker = make_user()
    calls = [lambda user=user: vote_toggle(user=user, item=paper) for user in voters]
    # The same user clicking twice, from two tabs, at the same moment: on then off.
    calls += [lambda: vote_toggle(user=double_clicker, item=paper)] * 2

    _run_concurrently(calls)

    paper.refresh_from_db()
    rows = Vote.objects.filter(paper=paper).count()
    assert paper.upvotes_count == rows == VOTERS
    assert not Vote.objects.filter(user=double_clicker).exists()

    # Everyone takes the vote back at once, while others vote on a second paper.
    other = make_paper()
    calls = [lambda user=user: vote_toggle(user=user, item=paper) for user in voters]
    calls += [lambda user=user: vote_toggle(user=user, item=other) for user in voters[:20]]
    _run_concurrently(calls)

    counts = dict(
        Paper.objects.filter(pk__in=[paper.pk, other.pk]).values_list("pk", "upvotes_count")
    )
    assert counts == {paper.pk: 0, other.pk: 20}
    assert Vote.objects.filter(paper=other).count() == 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_comment_votes_and_comments_keep_counters_equal_to_rows():
    from apps.comments.models import Comment
    from apps.comments.services import comment_create
    from apps.votes.models import CommentVote

    paper = make_paper()
    users = [make_user() for _ in range(30)]
    users[0].email = ""  # no reply emails queued to the broker from this test
    users[0].save(update_fields=["email"])
    comment = comment_create(author=users[0], paper=paper, body="Root")
    calls = [lambda user=user: vote_toggle(user=user, item=comment) for user in users]
    calls += [
        lambda user=user: comment_create(author=user, paper=paper, body="Me too", parent=comment)
        for user in users[:20]
    ]

    _run_concurrently(calls)

    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.upvotes_count == CommentVote.objects.filter(comment=comment).count() == 30
    assert paper.comments_count == Comment.objects.filter(paper=paper).count() == 21
