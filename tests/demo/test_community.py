import datetime as dt

import pytest
from django.db.models import Count, F, Q

from apps.comments.models import Comment
from apps.demo.seeding import seed_demo
from apps.notifications.models import Notification
from apps.papers.models import Paper
from apps.votes.models import CommentVote, Vote

pytestmark = pytest.mark.django_db


def community_counts():
    return (
        Vote.objects.count(),
        CommentVote.objects.count(),
        Comment.objects.count(),
        Notification.objects.count(),
        list(Paper.objects.order_by("pk").values_list("upvotes_count", "comments_count")),
    )


def test_seed_demo_adds_votes_and_threads_with_maths_idempotently():
    seed_demo(today=dt.date(2024, 10, 18))
    first = community_counts()
    seed_demo(today=dt.date(2024, 10, 18))

    assert community_counts() == first
    votes, _, comments, notifications, _ = first
    assert votes > 50
    assert comments >= 8
    assert notifications > 0
    assert Comment.objects.filter(parent__isnull=False).exists()
    assert Comment.objects.filter(upvotes_count__gt=0).exists()
    assert (
        not Comment.objects.annotate(rows=Count("votes")).exclude(upvotes_count=F("rows")).exists()
    )
    assert Comment.objects.filter(body_html__contains="math-display").exists()
    mismatched = Paper.objects.annotate(
        vote_rows=Count("votes", distinct=True),
        visible=Count("comments", filter=Q(comments__is_deleted=False), distinct=True),
    ).exclude(upvotes_count=F("vote_rows"), comments_count=F("visible"))
    assert not mismatched.exists()
