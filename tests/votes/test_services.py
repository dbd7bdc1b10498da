import pytest
from django.core.exceptions import PermissionDenied

from apps.comments.services import comment_create, comment_delete
from apps.core.ratelimit import RateLimitExceeded
from apps.votes.models import CommentVote, Vote
from apps.votes.selectors import paper_ids_voted_by
from apps.votes.services import VOTE_RATE, vote_set, vote_toggle
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db


def test_first_upvote_adds_a_vote_and_counts_it():
    user, paper = make_user(), make_paper()

    state = vote_toggle(user=user, item=paper)

    paper.refresh_from_db()
    assert state.voted is True
    assert state.upvotes_count == paper.upvotes_count == 1
    assert Vote.objects.filter(user=user, paper=paper).count() == 1


def test_second_upvote_by_same_user_removes_vote():
    user, paper = make_user(), make_paper()
    vote_toggle(user=user, item=paper)

    state = vote_toggle(user=user, item=paper)

    paper.refresh_from_db()
    assert state.voted is False
    assert paper.upvotes_count == 0
    assert not Vote.objects.filter(paper=paper).exists()


def test_count_is_recomputed_from_rows_not_incremented():
    paper = make_paper(upvotes=41)  # a drifted counter
    user = make_user()

    state = vote_toggle(user=user, item=paper)

    assert state.upvotes_count == 1


def test_vote_set_is_idempotent():
    user, paper = make_user(), make_paper()

    vote_set(user=user, item=paper, voted=True)
    state = vote_set(user=user, item=paper, voted=True)

    assert state.voted is True
    assert state.upvotes_count == 1
    assert vote_set(user=user, item=paper, voted=False).upvotes_count == 0


def test_banned_user_cannot_vote():
    user, paper = make_user(is_banned=True), make_paper()

    with pytest.raises(PermissionDenied):
        vote_toggle(user=user, item=paper)

    assert not Vote.objects.exists()


def test_votes_are_rate_limited_per_user():
    user, other = make_user(), make_user()
    papers = [make_paper() for _ in range(2)]
    for index in range(VOTE_RATE.limit):
        vote_toggle(user=user, item=papers[index % 2])

    with pytest.raises(RateLimitExceeded, match="too fast"):
        vote_toggle(user=user, item=papers[0])
    vote_toggle(user=other, item=papers[0])  # others are not affected


def test_batch_lookup_answers_for_many_papers_in_one_query(django_assert_num_queries):
    user = make_user()
    papers = [make_paper() for _ in range(5)]
    for paper in papers[:3]:
        vote_toggle(user=user, item=paper)

    with django_assert_num_queries(1):
        voted = paper_ids_voted_by(user=user, paper_ids=[paper.pk for paper in papers])

    assert voted == {paper.pk for paper in papers[:3]}


def test_profile_selector_lists_upvoted_papers_latest_vote_first():
    from apps.votes.selectors import papers_upvoted_by

    user = make_user()
    first, second, unvoted = make_paper(), make_paper(), make_paper()
    vote_toggle(user=user, item=first)
    vote_toggle(user=user, item=second)
    vote_toggle(user=make_user(), item=unvoted)

    assert list(papers_upvoted_by(user=user)) == [second, first]


def test_comment_vote_toggles_and_counts_from_rows():
    comment = comment_create(author=make_user(), paper=make_paper(), body="good")
    voter = make_user()

    assert vote_toggle(user=voter, item=comment).upvotes_count == 1
    state = vote_toggle(user=voter, item=comment)

    comment.refresh_from_db()
    assert state.voted is False
    assert comment.upvotes_count == 0 == CommentVote.objects.count()


def test_deleted_comments_cannot_be_voted_on():
    paper = make_paper()
    parent = comment_create(author=make_user(), paper=paper, body="x")
    comment_create(author=make_user(), paper=paper, body="y", parent=parent)
    comment_delete(comment=parent, user=parent.author)

    with pytest.raises(PermissionDenied):
        vote_toggle(user=make_user(), item=parent)
