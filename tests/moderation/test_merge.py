"""Merging a duplicate paper: everything of value moves (no vote counted twice, counters equal
their rows, nothing cascades away), the old id redirects and stays merged, the log and the
submitter are told; who may merge, and the page's form, preview and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.ingestion.models import Announcement, GithubRepoCheck
from apps.moderation import services
from apps.moderation.merge import paper_merge
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.models import AuthorClaim, DailyEntry, Paper, PaperAlias
from apps.papers.services import (
    PaperRecord,
    author_claim_approve,
    author_claim_create,
    author_claim_reject,
    papers_upsert,
)
from apps.submissions.models import Submission
from apps.submissions.services import OutcomeKind, submission_create
from apps.users.models import User
from apps.votes.models import Vote
from apps.votes.services import vote_toggle
from tests.factories import make_entry, make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_member, make_moderator

pytestmark = pytest.mark.django_db

KEPT, DUP = "2410.00001", "2410.00002"
DAY = dt.date(2024, 10, 7)


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def into(db) -> Paper:
    return make_paper(arxiv_id=KEPT, title="The original", authors=["Ada Lovelace", "Alan Turing"])


@pytest.fixture
def duplicate(db) -> Paper:
    return make_paper(
        arxiv_id=DUP, title="The same, again", authors=["Ada Lovelace", "Grace Hopper"]
    )


def slot(paper: Paper, name: str):
    return paper.authorships.get(author__name=name)


def notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Notification.Kind.MODERATION))


def merge(moderator, duplicate, into, reason="Same paper, posted twice."):
    return paper_merge(moderator=moderator, duplicate=duplicate, into=into, reason=reason)


# --- What moves ---------------------------------------------------------------------------


def test_a_user_who_voted_on_both_counts_once(moderator, duplicate, into):
    both, dup_only, kept_only = make_user(), make_user(), make_user()
    for user in (both, dup_only):
        vote_toggle(user=user, item=duplicate)
    for user in (both, kept_only):
        vote_toggle(user=user, item=into)

    merge(moderator, duplicate, into)

    into.refresh_from_db()
    voters = set(Vote.objects.filter(paper=into).values_list("user_id", flat=True))
    assert voters == {both.pk, dup_only.pk, kept_only.pk}
    assert into.upvotes_count == 3 == Vote.objects.count()
    assert into.trending_score > 0


def test_comments_move_whole_and_the_count_excludes_hidden_ones(client, moderator, duplicate, into):
    author = make_user()
    top = comment_create(author=author, paper=duplicate, body="First")
    reply = comment_create(author=make_user(), paper=duplicate, body="A reply", parent=top)
    hidden = comment_create(author=make_user(), paper=duplicate, body="Spam")
    services.comment_hide(moderator=moderator, comment=hidden, reason="Spam.")
    comment_create(author=author, paper=into, body="On the original")

    merge(moderator, duplicate, into)

    into.refresh_from_db()
    assert set(Comment.objects.values_list("paper_id", flat=True)) == {into.pk}
    assert Comment.objects.count() == 4
    reply.refresh_from_db()
    assert reply.parent_id == top.pk
    assert into.comments_count == 3
    html = client.get(into.get_absolute_url()).content.decode()
    assert "A reply" in html
    assert "[removed by a moderator]" in html


@pytest.mark.parametrize(
    ("dup_day", "kept_day", "kept_from"),
    [(DAY, DAY + dt.timedelta(days=3), "duplicate"), (DAY + dt.timedelta(days=3), DAY, "into")],
)
def test_the_earlier_daily_entry_stays(moderator, duplicate, into, dup_day, kept_day, kept_from):
    alice, bob = make_user("alice"), make_user("bob")
    make_entry(day=dup_day, paper=duplicate, submitted_by=alice)
    make_entry(day=kept_day, paper=into, submitted_by=bob)

    merge(moderator, duplicate, into)

    entry = DailyEntry.objects.get()
    assert entry.paper_id == into.pk
    assert entry.day == DAY
    assert entry.submitted_by == (alice if kept_from == "duplicate" else bob)


def test_the_duplicates_entry_moves_when_the_kept_paper_has_none(moderator, duplicate, into):
    make_entry(day=DAY, paper=duplicate, submitted_by=make_user())

    merge(moderator, duplicate, into)

    assert DailyEntry.objects.get().paper_id == into.pk


def test_claims_follow_their_author_or_are_dropped_and_told(moderator, into):
    duplicate = make_paper(arxiv_id=DUP, authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"])
    ada, alan, grace, refused = (make_user(name) for name in ("ada", "alan", "grace", "no"))
    staff = make_user(is_staff=True)
    approved = author_claim_create(user=ada, authorship=slot(duplicate, "Ada Lovelace"))
    author_claim_approve(claim=approved, moderator=staff)
    # Ada also had a pending claim on the kept paper's slot: the approved one wins.
    author_claim_create(user=ada, authorship=slot(into, "Ada Lovelace"))
    pending = author_claim_create(user=alan, authorship=slot(duplicate, "Alan Turing"))
    orphan = author_claim_create(user=grace, authorship=slot(duplicate, "Grace Hopper"))
    rejected = author_claim_create(user=refused, authorship=slot(duplicate, "Grace Hopper"))
    author_claim_reject(claim=rejected, moderator=staff, reason="No evidence.")

    merge(moderator, duplicate, into)

    approved.refresh_from_db()
    pending.refresh_from_db()
    assert (approved.authorship, approved.status) == (slot(into, "Ada Lovelace"), "approved")
    assert (pending.authorship, pending.status) == (slot(into, "Alan Turing"), "pending")
    assert AuthorClaim.objects.filter(user=ada).count() == 1
    assert not AuthorClaim.objects.filter(pk__in=[orphan.pk, rejected.pk]).exists()
    (notice,) = notices(grace)
    assert notice.subject == f"Your author claim on {DUP} did not carry over"
    assert notices(ada) == notices(alan) == notices(refused) == []


def test_an_approved_claim_gives_way_to_the_kept_papers_approved_one(moderator, duplicate, into):
    staff = make_user(is_staff=True)
    mine = author_claim_create(user=make_user(), authorship=slot(duplicate, "Ada Lovelace"))
    author_claim_approve(claim=mine, moderator=staff)
    theirs = author_claim_create(user=make_user(), authorship=slot(into, "Ada Lovelace"))
    author_claim_approve(claim=theirs, moderator=staff)

    merge(moderator, duplicate, into)

    assert list(AuthorClaim.objects.all()) == [theirs]


def test_submissions_announcements_and_flags_move(moderator, duplicate, into):
    submitter = make_member("sub")
    submission = Submission.objects.create(
        submitted_by=submitter, arxiv_id=DUP, paper=duplicate, status=Submission.Status.PUBLISHED
    )
    Announcement.objects.create(paper=duplicate, day=DAY, kind="new")
    Announcement.objects.create(paper=duplicate, day=DAY + dt.timedelta(days=1), kind="replace")
    Announcement.objects.create(paper=into, day=DAY, kind="cross")
    GithubRepoCheck.objects.create(paper=duplicate, repo="a/b")
    twice, once = make_member("twice"), make_member("once")
    services.flag_create(user=twice, item=duplicate, reason=Flag.Reason.DUPLICATE)
    services.flag_create(user=twice, item=into, reason=Flag.Reason.WRONG_METADATA)
    services.flag_create(user=once, item=duplicate, reason=Flag.Reason.DUPLICATE)

    merge(moderator, duplicate, into)

    submission.refresh_from_db()
    assert (submission.paper_id, submission.arxiv_id) == (into.pk, DUP)
    assert sorted(Announcement.objects.values_list("paper_id", "day", "kind")) == [
        (into.pk, DAY, "cross"),
        (into.pk, DAY + dt.timedelta(days=1), "replace"),
    ]
    assert not GithubRepoCheck.objects.exists()
    flags = {(f.flagged_by_id, f.reason, f.resolution) for f in Flag.objects.all()}
    assert flags == {
        (twice.pk, Flag.Reason.WRONG_METADATA, Flag.Resolution.OPEN),
        (once.pk, Flag.Reason.DUPLICATE, Flag.Resolution.UPHELD),
    }


def test_the_duplicate_becomes_an_alias_logged_and_its_submitter_told(moderator, duplicate, into):
    submitter = make_user("sub")
    make_entry(day=DAY, paper=duplicate, submitted_by=submitter)
    PaperAlias.objects.create(arxiv_id="2410.00003", paper=duplicate)  # merged into it before

    merge(moderator, duplicate, into)

    assert not Paper.objects.filter(arxiv_id=DUP).exists()
    assert dict(PaperAlias.objects.values_list("arxiv_id", "paper_id")) == {
        DUP: into.pk,
        "2410.00003": into.pk,
    }
    entry = ModerationAction.objects.get()
    assert entry.action == ModerationAction.Action.PAPER_MERGE
    assert entry.moderator == moderator
    assert (entry.target_type, entry.target_id) == ("paper", into.pk)
    assert entry.target_label == f"{DUP} merged into {KEPT} · The original"
    assert entry.target_url == f"/papers/{KEPT}"
    assert entry.reason == "Same paper, posted twice."
    assert entry.subject_user == submitter
    (notice,) = notices(submitter)
    assert notice.subject == f"{DUP}, which you submitted, was merged into {KEPT}"
    assert "Same paper, posted twice." in notice.message
    assert notice.url == f"/papers/{KEPT}"


def test_the_old_id_redirects_on_the_site_and_in_the_api(client, moderator, duplicate, into):
    merge(moderator, duplicate, into)

    for old, new in [
        (f"/papers/{DUP}", f"/papers/{KEPT}"),
        (f"/papers/{DUP}.md", f"/papers/{KEPT}.md"),
        (f"/api/papers/{DUP}", f"/api/papers/{KEPT}"),
    ]:
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == new
    assert client.get(f"/papers/{DUP}v2", follow=True).redirect_chain[-1] == (
        f"/papers/{KEPT}",
        301,
    )
    followed = client.get(f"/api/papers/{DUP}", follow=True)
    assert followed.status_code == 200
    assert followed.json()["id"] == KEPT
    assert client.get("/api/papers/2410.09999").status_code == 404


def test_a_comment_permalink_under_the_old_id_redirects(client, moderator, duplicate, into):
    comment = comment_create(author=make_user(), paper=duplicate, body="Same as the other one?")
    merge(moderator, duplicate, into)

    response = client.get(f"/papers/{DUP}/comments/{comment.pk}")

    assert response.status_code == 301
    assert response["Location"] == f"/papers/{KEPT}/comments/{comment.pk}"
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"/papers/2410.09999/comments/{comment.pk}").status_code == 404


def test_ingestion_does_not_bring_the_duplicate_back(moderator, duplicate, into):
    merge(moderator, duplicate, into)
    record = PaperRecord(
        arxiv_id=f"{DUP}v2", title="The same, again", abstract="Text.", published_on=DAY
    )

    result = papers_upsert([record])

    assert result.skipped == 1
    assert (result.created, result.updated) == ([], [])
    assert result.paper_ids == {DUP: into.pk}
    assert not Paper.objects.filter(arxiv_id=DUP).exists()


def test_submitting_the_old_id_leads_to_the_kept_paper(moderator, duplicate, into):
    make_entry(paper=into, day=DAY)
    merge(moderator, duplicate, into)

    outcome = submission_create(user=make_member(), text=f"https://arxiv.org/abs/{DUP}v2")

    assert (outcome.kind, outcome.paper, outcome.day) == (OutcomeKind.FEATURED, into, DAY)
    assert not Submission.objects.exists()


def test_queries_do_not_grow_with_votes_and_comments(moderator):
    def merge_with(count: int) -> int:
        duplicate, into = make_paper(), make_paper()
        fresh = User.objects.get(pk=moderator.pk)  # no permissions cached from a run before
        for _ in range(count):
            user = make_user()
            vote_toggle(user=user, item=duplicate)
            comment_create(author=user, paper=duplicate, body="Me too")
        with CaptureQueriesContext(connection) as queries:
            merge(fresh, duplicate, into)
        into.refresh_from_db()
        assert into.upvotes_count == count == into.comments_count
        return len(queries)

    assert merge_with(1) == merge_with(30)


# --- Who may merge ------------------------------------------------------------------------


def test_merging_into_itself_is_refused(moderator, into):
    with pytest.raises(ValidationError, match="into itself"):
        merge(moderator, into, into)
    assert Paper.objects.filter(pk=into.pk).exists()


def test_a_reason_is_required(moderator, duplicate, into):
    with pytest.raises(ValidationError, match="Give a reason"):
        merge(moderator, duplicate, into, reason="  ")
    assert Paper.objects.filter(pk=duplicate.pk).exists()


@pytest.mark.parametrize("whose", ["duplicate", "into"])
def test_a_moderators_own_paper_is_refused(moderator, duplicate, into, whose):
    paper = duplicate if whose == "duplicate" else into
    make_entry(day=DAY, paper=paper, submitted_by=moderator)

    with pytest.raises(PermissionDenied, match="another moderator"):
        merge(moderator, duplicate, into)
    assert Paper.objects.filter(pk=duplicate.pk).exists()
    assert not ModerationAction.objects.exists()


def test_an_approved_author_may_not_merge_their_paper(moderator, duplicate, into):
    claim = author_claim_create(user=moderator, authorship=slot(into, "Alan Turing"))
    author_claim_approve(claim=claim, moderator=make_user(is_staff=True))

    with pytest.raises(PermissionDenied):
        merge(moderator, duplicate, into)


def test_members_cannot_merge(member, duplicate, into):
    with pytest.raises(PermissionDenied):
        merge(member, duplicate, into)


# --- The page -----------------------------------------------------------------------------


def merge_url(arxiv_id: str = DUP) -> str:
    return reverse("moderation:paper_merge", args=[arxiv_id])


def only_power(power: str):
    user = verify_for_log_in(make_user())
    user.user_permissions.add(Permission.objects.get(codename=power))
    return user


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 403),
        ("suspended moderator", 403),
        ("moderator without the power", 403),
        ("moderator", 200),
        ("staff", 200),
    ],
)
def test_the_page_is_for_moderators_who_edit_papers(client, duplicate, who, status):
    user = {
        "member": lambda: make_member(),
        "suspended moderator": lambda: make_moderator(
            suspended_until=timezone.now() + dt.timedelta(days=2)
        ),
        "moderator without the power": lambda: only_power("review_submissions"),
        "moderator": lambda: make_moderator(),
        "staff": lambda: verify_for_log_in(make_user(is_staff=True)),
    }[who]()
    client.force_login(user)

    assert client.get(merge_url()).status_code == status
    response = client.post(merge_url(), {"into": KEPT, "reason": "Dup", "confirm": "1"})
    # Allowed, it finds no paper 2410.00001 to merge into (there is none here): 400.
    assert response.status_code == (403 if status == 403 else 400)
    assert Paper.objects.filter(arxiv_id=DUP).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, duplicate):
    response = client.get(merge_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_preview_then_confirm(client, moderator, duplicate, into):
    shared = make_user()
    vote_toggle(user=shared, item=duplicate)
    vote_toggle(user=shared, item=into)
    client.force_login(moderator)
    form = {"into": f"https://arxiv.org/abs/{KEPT}v2", "reason": "Posted twice.", "note": "n"}

    preview = client.post(merge_url(), form)

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "The same, again" in html
    assert "The original" in html
    assert "1 voted on both: counted once" in html
    assert 'name="confirm" value="1"' in html
    assert Paper.objects.filter(arxiv_id=DUP).exists()

    done = client.post(merge_url(), {**form, "confirm": "1"}, follow=True)

    assert done.redirect_chain == [(f"/papers/{KEPT}", 302)]
    assert f"Merged {DUP} into {KEPT}." in done.content.decode()
    assert not Paper.objects.filter(arxiv_id=DUP).exists()
    assert ModerationAction.objects.get().note == "n"
    into.refresh_from_db()
    assert into.upvotes_count == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("not an id", "is not an arXiv id"),
        ("2410.09999", "There is no paper 2410.09999 on the site."),
        (DUP, "cannot be merged into itself"),
        ("", "Enter the arXiv id or link of the paper to keep."),
    ],
)
def test_bad_targets_are_refused_with_a_message(client, moderator, duplicate, target, message):
    client.force_login(moderator)

    response = client.post(merge_url(), {"into": target, "reason": "Dup", "confirm": "1"})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Paper.objects.filter(arxiv_id=DUP).exists()


def test_a_missing_reason_is_refused(client, moderator, duplicate, into):
    client.force_login(moderator)

    response = client.post(merge_url(), {"into": KEPT, "reason": "", "confirm": "1"})

    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()


def test_the_page_refuses_a_moderators_own_paper(client, moderator, duplicate, into):
    make_entry(day=DAY, paper=into, submitted_by=moderator)
    client.force_login(moderator)

    response = client.post(merge_url(), {"into": KEPT, "reason": "Dup"})

    assert response.status_code == 403
    assert "another moderator" in response.content.decode()


def test_an_already_merged_id_is_a_404_and_names_its_paper_as_a_target(
    client, moderator, duplicate, into
):
    merge(moderator, duplicate, into)
    third = make_paper(arxiv_id="2410.00004")
    client.force_login(moderator)

    assert client.get(merge_url(DUP)).status_code == 404
    response = client.post(merge_url(third.arxiv_id), {"into": DUP, "reason": "Dup"})
    assert response.status_code == 200
    assert f"Merge {third.arxiv_id} into {KEPT}" in response.content.decode()
