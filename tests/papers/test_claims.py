"""Author claims: filing, deciding, constraints, the paper page button and the admin actions."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.papers.models import AuthorClaim
from apps.papers.selectors import approved_claims_for_papers, pending_author_claims
from apps.papers.services import author_claim_approve, author_claim_create, author_claim_reject
from apps.users.roles import MODERATORS_GROUP
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(db):
    return make_paper(
        arxiv_id="2410.09692", authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    )


@pytest.fixture
def moderator(db):
    user = make_user("mod")
    # get_or_create: transactional tests elsewhere flush the rows data migrations made.
    user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return user


def slot(paper, position):
    return paper.authorships.get(position=position)


def test_claim_approved_by_a_moderator_links_the_name_to_the_profile(client, paper, moderator):
    ada = make_user("ada")
    claim = author_claim_create(user=ada, authorship=slot(paper, 0))
    assert claim.status == AuthorClaim.Status.PENDING
    html = client.get(paper.get_absolute_url()).content.decode()
    assert 'href="/users/ada"' not in html

    claim = author_claim_approve(claim=claim, moderator=moderator)
    assert claim.status == AuthorClaim.Status.APPROVED
    assert claim.decided_by == moderator
    assert claim.decided_at is not None
    html = client.get(paper.get_absolute_url()).content.decode()
    assert '<a class="claimed-author" href="/users/ada"' in html
    assert "2410.09692" in client.get("/users/ada/authored").content.decode()


def test_same_user_cannot_claim_the_same_slot_twice(paper):
    ada = make_user("ada")
    author_claim_create(user=ada, authorship=slot(paper, 0))
    with pytest.raises(ValidationError, match="already claimed this author"):
        author_claim_create(user=ada, authorship=slot(paper, 0))


def test_a_rejected_claim_cannot_be_filed_again(paper, moderator):
    ada = make_user("ada")
    claim = author_claim_create(user=ada, authorship=slot(paper, 0))
    author_claim_reject(claim=claim, moderator=moderator, reason="Not on the paper.")
    with pytest.raises(ValidationError):
        author_claim_create(user=ada, authorship=slot(paper, 0))


def test_cannot_claim_a_slot_someone_else_holds(paper, moderator):
    first = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    author_claim_approve(claim=first, moderator=moderator)
    with pytest.raises(ValidationError, match="already this author"):
        author_claim_create(user=make_user("impostor"), authorship=slot(paper, 0))


def test_cannot_claim_two_authors_of_one_paper(paper):
    ada = make_user("ada")
    author_claim_create(user=ada, authorship=slot(paper, 0))
    with pytest.raises(ValidationError, match="another author of this paper"):
        author_claim_create(user=ada, authorship=slot(paper, 1))


def test_competing_pending_claims_are_rejected_when_one_is_approved(paper, moderator):
    ada = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    rival = author_claim_create(user=make_user("rival"), authorship=slot(paper, 0))
    author_claim_approve(claim=ada, moderator=moderator)
    rival.refresh_from_db()
    assert rival.status == AuthorClaim.Status.REJECTED
    assert rival.decided_by == moderator
    with pytest.raises(ValidationError, match="already approved"):
        author_claim_approve(claim=rival, moderator=moderator)
    with pytest.raises(ValidationError, match="already rejected"):
        author_claim_reject(claim=rival, moderator=moderator, reason="Not on the paper.")


def test_only_moderators_decide_claims(paper):
    claim = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    for not_a_moderator in [make_user("someone"), claim.user]:
        with pytest.raises(PermissionDenied):
            author_claim_approve(claim=claim, moderator=not_a_moderator)
        with pytest.raises(PermissionDenied):
            author_claim_reject(claim=claim, moderator=not_a_moderator, reason="Not on the paper.")
    claim.refresh_from_db()
    assert claim.status == AuthorClaim.Status.PENDING


def test_staff_can_decide_claims_but_banned_moderators_cannot(paper, moderator):
    claim = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    moderator.is_banned = True
    moderator.save()
    with pytest.raises(PermissionDenied):
        author_claim_approve(claim=claim, moderator=moderator)
    staff = make_user("staffer", is_staff=True)
    assert author_claim_approve(claim=claim, moderator=staff).status == "approved"


def test_banned_users_cannot_claim(paper):
    banned = make_user("banned", is_banned=True)
    with pytest.raises(PermissionDenied):
        author_claim_create(user=banned, authorship=slot(paper, 0))


def test_database_allows_one_approved_claim_per_slot(paper):
    authorship = slot(paper, 0)
    decided = {"status": AuthorClaim.Status.APPROVED, "decided_at": "2024-10-01T00:00Z"}
    AuthorClaim.objects.create(user=make_user("ada"), authorship=authorship, **decided)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorClaim.objects.create(user=make_user("bob"), authorship=authorship, **decided)


def test_database_allows_one_claim_per_user_and_slot(paper):
    ada = make_user("ada")
    AuthorClaim.objects.create(user=ada, authorship=slot(paper, 0))
    with pytest.raises(IntegrityError), transaction.atomic():
        AuthorClaim.objects.create(user=ada, authorship=slot(paper, 0))


def test_approved_claims_for_papers_is_one_query(paper, moderator, django_assert_num_queries):
    other = make_paper(authors=["Emmy Noether"])
    for user, authorship in [("ada", slot(paper, 0)), ("emmy", other.authorships.get())]:
        claim = author_claim_create(user=make_user(user), authorship=authorship)
        author_claim_approve(claim=claim, moderator=moderator)
    with django_assert_num_queries(1):
        claims = approved_claims_for_papers(papers=[paper, other])
        names = sorted(claim.user.username for claim in claims.values())
    assert names == ["ada", "emmy"]


def test_pending_queue_lists_open_claims_oldest_first(paper, moderator, django_assert_num_queries):
    first = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    second = author_claim_create(user=make_user("alan"), authorship=slot(paper, 1))
    decided = author_claim_create(user=make_user("grace"), authorship=slot(paper, 2))
    author_claim_reject(claim=decided, moderator=moderator, reason="Not on the paper.")
    with django_assert_num_queries(1):
        rows = [
            (claim.pk, claim.user.username, claim.authorship.author.name, claim.authorship.paper_id)
            for claim in pending_author_claims()
        ]
    assert rows == [
        (first.pk, "ada", "Ada Lovelace", paper.pk),
        (second.pk, "alan", "Alan Turing", paper.pk),
    ]


def test_paper_page_offers_the_claim_form_to_logged_in_users_only(client, paper):
    url = paper.get_absolute_url()
    assert "Claim authorship" not in client.get(url).content.decode()
    client.force_login(make_user("ada"))
    html = client.get(url).content.decode()
    assert "Claim authorship" in html
    assert f'action="{reverse("papers:claim", args=[paper.arxiv_id])}"' in html


def test_claim_button_files_a_pending_claim(client, paper):
    ada = make_user("ada")
    client.force_login(ada)
    response = client.post(
        reverse("papers:claim", args=[paper.arxiv_id]), {"authorship": slot(paper, 2).pk}
    )
    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    claim = AuthorClaim.objects.get()
    assert (claim.user, claim.authorship, claim.status) == (ada, slot(paper, 2), "pending")
    html = client.get(paper.get_absolute_url()).content.decode()
    assert "moderator will review your claim to be Grace Hopper" in html
    assert "waiting for a moderator" in html
    assert "Claim authorship" not in html


def test_claim_endpoint_rejects_bad_input_with_4xx(client, paper):
    other = make_paper(authors=["Someone Else"])
    client.force_login(make_user("ada"))
    url = reverse("papers:claim", args=[paper.arxiv_id])
    assert client.post(url, {"authorship": "nope"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"authorship": other.authorships.get().pk}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.post("/papers/2499.99999/claim", {"authorship": 1}).status_code == 404
    client.post(url, {"authorship": slot(paper, 0).pk})
    duplicate = client.post(url, {"authorship": slot(paper, 0).pk})
    assert duplicate.status_code == 409
    assert "already claimed" in duplicate.content.decode()
    assert AuthorClaim.objects.count() == 1


def test_claim_endpoint_sends_anonymous_users_to_log_in(client, paper):
    response = client.post(
        reverse("papers:claim", args=[paper.arxiv_id]), {"authorship": slot(paper, 0).pk}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not AuthorClaim.objects.exists()


def test_claim_endpoint_refuses_banned_users(client, paper):
    banned = make_user("banned")
    client.force_login(banned)
    banned.is_banned = True
    banned.save()
    response = client.post(
        reverse("papers:claim", args=[paper.arxiv_id]), {"authorship": slot(paper, 0).pk}
    )
    assert response.status_code in {302, 403}
    assert not AuthorClaim.objects.exists()


def test_paper_page_query_count_is_constant_in_claims(
    client, paper, moderator, django_assert_max_num_queries
):
    viewer = make_user("viewer")
    client.force_login(viewer)
    client.get(paper.get_absolute_url())  # warms the similar-papers cache: steady state below
    # + session, user, unread notifications, own votes, own claims, comment votes
    with django_assert_max_num_queries(13) as before:
        client.get(paper.get_absolute_url())
    for position, name in enumerate(["ada", "alan", "grace"]):
        claim = author_claim_create(user=make_user(name), authorship=slot(paper, position))
        author_claim_approve(claim=claim, moderator=moderator)
    with django_assert_max_num_queries(13) as after:
        html = client.get(paper.get_absolute_url()).content.decode()
    assert html.count('class="claimed-author"') == 3
    assert len(before.captured_queries) == len(after.captured_queries)


def test_admin_actions_approve_and_reject(client, paper):
    admin = make_user("boss", is_staff=True, is_superuser=True)
    approve_me = author_claim_create(user=make_user("ada"), authorship=slot(paper, 0))
    reject_me = author_claim_create(user=make_user("alan"), authorship=slot(paper, 1))
    client.force_login(admin)
    changelist = reverse("admin:papers_authorclaim_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "approve_claims", "_selected_action": [approve_me.pk]})
    # Rejecting asks for the reason the claimant sees first.
    reject = {"action": "reject_claims", "_selected_action": [reject_me.pk]}
    assert "Reject author claims" in client.post(changelist, reject).content.decode()
    client.post(changelist, {**reject, "apply": "1", "reason": "Not on the paper."})
    approve_me.refresh_from_db()
    reject_me.refresh_from_db()
    assert (approve_me.status, approve_me.decided_by) == ("approved", admin)
    assert (reject_me.status, reject_me.decided_by) == ("rejected", admin)
    assert reject_me.reason == "Not on the paper."


def test_filing_claims_is_rate_limited_per_user(client, paper):
    """Issue 13 item 12: each claim lands in the moderators' queue; a script cannot flood it."""
    from apps.papers.services import CLAIM_RATE

    ada = make_user("ada")
    client.force_login(ada)
    papers = [make_paper(authors=[f"Author {n}"]) for n in range(CLAIM_RATE.limit + 1)]
    statuses = [
        client.post(
            reverse("papers:claim", args=[p.arxiv_id]), {"authorship": p.authorships.get().pk}
        ).status_code
        for p in papers
    ]
    assert statuses == [302] * CLAIM_RATE.limit + [429]
    assert AuthorClaim.objects.filter(user=ada).count() == CLAIM_RATE.limit
    # Another person is not slowed down by it.
    other = make_user("grace")
    author_claim_create(user=other, authorship=slot(paper, 0))
