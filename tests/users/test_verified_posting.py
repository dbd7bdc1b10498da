"""``user_can_post`` itself asks for a verified primary email: an account made with someone
else's (or a throwaway) address cannot vote, comment, submit, flag or claim."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.papers.models import AuthorClaim
from apps.papers.services import author_claim_create
from apps.users.roles import user_can_post, user_is_moderator
from apps.votes.models import Vote
from apps.votes.services import vote_toggle
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db

VERIFY = "Verify your email address before you"


def test_user_can_post_needs_a_verified_primary_address():
    assert user_can_post(make_user("verified"))
    assert not user_can_post(make_user("unverified", verified=False))
    other = make_user("other", verified=False)
    EmailAddress.objects.create(user=other, email="second@example.org", verified=True)
    assert not user_can_post(other)  # verified, but not the address the account uses


def test_the_answer_is_asked_once_per_user_object(django_assert_num_queries):
    user = make_user()
    with django_assert_num_queries(1):
        assert user_can_post(user)
        assert user_can_post(user)


def test_staff_chose_moderators_without_asking_for_an_email():
    assert user_is_moderator(make_user("root", is_superuser=True, verified=False))


def test_an_unverified_account_cannot_vote_or_comment_and_is_told_why():
    user, paper = make_user(verified=False), make_paper()

    with pytest.raises(PermissionDenied, match=VERIFY):
        vote_toggle(user=user, item=paper)
    with pytest.raises(PermissionDenied, match=VERIFY):
        comment_create(author=user, paper=paper, body="Hello")

    assert not Vote.objects.exists()
    assert not Comment.objects.exists()


def test_an_unverified_account_vote_click_is_a_403_with_the_reason(client):
    user, paper = make_user(verified=False), make_paper()
    client.force_login(user)

    response = client.post(f"/papers/{paper.arxiv_id}/vote", headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert VERIFY in response.content.decode()
    assert not Vote.objects.exists()


def test_an_unverified_account_cannot_claim_authorship():
    user, paper = make_user(verified=False), make_paper()

    with pytest.raises(PermissionDenied, match="Verify your email address before claiming"):
        author_claim_create(user=user, authorship=paper.authorships.first())

    assert not AuthorClaim.objects.exists()
