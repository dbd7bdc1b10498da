"""Every queue action and moderator action through its service: what it changes, the log entry
it writes (who, what, which item, public reason, private note, whom it concerns), and that a
refused action writes nothing at all (no log entry, no notice: the transaction rolls back)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.selectors import comments_by_user
from apps.comments.services import comment_create, comment_delete, comment_update
from apps.moderation import services
from apps.moderation.log import comment_label, paper_label
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.search import build_search_query, ranked_paper_ids
from apps.papers.selectors import daily_entries_in_period, daily_papers
from apps.papers.services import OTHER_CLAIM_APPROVED, author_claim_ask_again, author_claim_create
from apps.submissions.models import Submission
from apps.submissions.services import long_date, submission_create
from apps.votes.services import vote_toggle
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_member, make_moderator
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db

Action = ModerationAction.Action
Target = ModerationAction.TargetType
Visibility = Comment.Visibility


# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


def notices(user) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user, kind=Notification.Kind.MODERATION).order_by(
            "pk"
        )
    )


def the_entry() -> ModerationAction:
    """The one log entry the action wrote."""
    entries = list(ModerationAction.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


def assert_entry(entry: ModerationAction, **expected) -> None:
    actual = {
        "action": entry.action,
        "moderator": entry.moderator,
        "moderator_name": entry.moderator_name,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "target_url": entry.target_url,
        "subject_user": entry.subject_user,
        "reason": entry.reason,
        "note": entry.note,
    }
    assert actual == {**actual, **expected}
    assert set(expected) == set(actual), "check every field of the entry"


def assert_nothing_written() -> None:
    assert not ModerationAction.objects.exists()
    assert not Notification.objects.filter(kind=Notification.Kind.MODERATION).exists()


def recent_paper(**fields) -> Paper:
    return make_paper(published_on=timezone.localdate() - dt.timedelta(days=3), **fields)


def pending_submission(user) -> Submission:
    return make_submission(user=user, status=Submission.Status.PENDING, paper=recent_paper())


def visible_count(paper: Paper) -> int:
    return Comment.objects.filter(
        paper=paper, is_deleted=False, visibility=Visibility.VISIBLE
    ).count()


def flag_until_hidden(comment: Comment, count: int) -> list[Flag]:
    return [
        services.flag_create(user=make_member(), item=comment, reason=Flag.Reason.SPAM)
        for _ in range(count)
    ]


@pytest.fixture
def paper(db):
    return make_paper(arxiv_id="2410.09692", title="ALLoRA: adaptive learning rates")


@pytest.fixture
def comment(paper, member):
    return comment_create(author=member, paper=paper, body="Buy cheap pills")


# --- Submissions --------------------------------------------------------------------------


def test_approve_publishes_today_by_default_and_logs_it(moderator, member):
    submission = pending_submission(member)
    paper = submission.paper
    today = timezone.localdate()

    result = services.submission_approve(
        moderator=moderator, submission=submission, note="Checked the PDF"
    )

    submission.refresh_from_db()
    assert result.status == submission.status == Submission.Status.PUBLISHED
    assert submission.decided_by == moderator
    entry = DailyEntry.objects.get(paper=paper)
    assert (entry.day, entry.submitted_by) == (today, member)
    assert paper in [e.paper for e in daily_entries_in_period(start=today, end=today)]
    assert_entry(
        the_entry(),
        action=Action.SUBMISSION_APPROVE,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.SUBMISSION,
        target_id=submission.pk,
        target_label=paper_label(paper),
        target_url=f"/papers/{paper.arxiv_id}",
        subject_user=member,
        reason=f"Listed on {long_date(today)}.",
        note="Checked the PDF",
    )
    [notice] = notices(member)
    assert long_date(today) in notice.subject
    assert "Checked the PDF" not in notice.subject + notice.message


def test_approve_on_a_chosen_past_day_puts_the_paper_on_that_day(moderator, member):
    submission = pending_submission(member)
    day = timezone.localdate() - dt.timedelta(days=4)

    services.submission_approve(moderator=moderator, submission=submission, day=day)

    assert DailyEntry.objects.get(paper=submission.paper).day == day
    assert [e.paper for e in daily_entries_in_period(start=day, end=day)] == [submission.paper]
    assert list(daily_papers(start=day, end=day)) == [submission.paper]
    today = timezone.localdate()
    assert not daily_entries_in_period(start=today, end=today).exists()
    assert the_entry().reason == f"Listed on {long_date(day)}."


def test_approve_refuses_a_future_day(moderator, member):
    submission = pending_submission(member)

    with pytest.raises(ValidationError, match="today or an earlier day"):
        services.submission_approve(
            moderator=moderator,
            submission=submission,
            day=timezone.localdate() + dt.timedelta(days=1),
        )

    submission.refresh_from_db()
    assert submission.status == Submission.Status.PENDING
    assert not DailyEntry.objects.exists()
    assert_nothing_written()


def test_approve_refuses_a_submission_that_is_not_pending(moderator, member):
    submission = make_submission(user=member, status=Submission.Status.REJECTED)

    with pytest.raises(ValidationError, match="not pending"):
        services.submission_approve(moderator=moderator, submission=submission)

    assert not DailyEntry.objects.exists()
    assert_nothing_written()


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(moderator, member, reason):
    submission = pending_submission(member)

    with pytest.raises(ValidationError, match="Give a reason"):
        services.submission_reject(moderator=moderator, submission=submission, reason=reason)

    submission.refresh_from_db()
    assert submission.status == Submission.Status.PENDING
    assert_nothing_written()


def test_reject_logs_the_public_reason_and_the_private_note(moderator, member):
    submission = pending_submission(member)

    services.submission_reject(
        moderator=moderator,
        submission=submission,
        reason="  Not a machine learning paper. ",
        note="Third off-topic one from this account",
    )

    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    assert submission.message == "Not a machine learning paper."
    assert not DailyEntry.objects.exists()
    assert_entry(
        the_entry(),
        action=Action.SUBMISSION_REJECT,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.SUBMISSION,
        target_id=submission.pk,
        target_label=paper_label(submission.paper),
        target_url=submission.paper.get_absolute_url(),
        subject_user=member,
        reason="Not a machine learning paper.",
        note="Third off-topic one from this account",
    )
    [notice] = notices(member)
    assert "Not a machine learning paper." in notice.message
    assert notice.url == reverse("submissions:status", args=[submission.pk])


def test_a_too_long_reason_is_refused(moderator, member):
    submission = pending_submission(member)

    with pytest.raises(ValidationError, match="under 2,000 characters"):
        services.submission_reject(moderator=moderator, submission=submission, reason="x" * 2001)
    assert_nothing_written()


# --- Author claims ------------------------------------------------------------------------


@pytest.fixture
def authors_paper(db):
    return make_paper(arxiv_id="2410.00001", authors=["Ada Lovelace", "Alan Turing"])


def slot(paper: Paper, position: int):
    return paper.authorships.get(position=position)


def test_claim_approve_rejects_competing_claims_and_tells_their_claimants(moderator, authors_paper):
    ada, impostor, alan = make_user("ada"), make_user("impostor"), make_user("alan")
    claim = author_claim_create(user=ada, authorship=slot(authors_paper, 0), evidence="ORCID")
    competing = author_claim_create(user=impostor, authorship=slot(authors_paper, 0))
    other_slot = author_claim_create(user=alan, authorship=slot(authors_paper, 1))

    services.claim_approve(moderator=moderator, claim=claim, note="ORCID matches")

    statuses = dict(AuthorClaim.objects.values_list("user__username", "status"))
    assert statuses == {"ada": "approved", "impostor": "rejected", "alan": "pending"}
    competing.refresh_from_db()
    assert competing.reason == OTHER_CLAIM_APPROVED
    assert_entry(
        the_entry(),
        action=Action.CLAIM_APPROVE,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.CLAIM,
        target_id=claim.pk,
        target_label=f"Ada Lovelace on {paper_label(authors_paper)}",
        target_url=authors_paper.get_absolute_url(),
        subject_user=ada,
        reason="",
        note="ORCID matches",
    )
    [approved] = notices(ada)
    assert "You are listed as Ada Lovelace" in approved.subject
    [rejected] = notices(impostor)
    assert "not accepted" in rejected.subject
    assert OTHER_CLAIM_APPROVED in rejected.message
    assert notices(alan) == []
    assert other_slot.status == AuthorClaim.Status.PENDING


def test_claim_approve_is_refused_when_the_slot_is_taken(moderator, authors_paper):
    ada, other = make_user("ada"), make_user("other")
    first = author_claim_create(user=ada, authorship=slot(authors_paper, 0))
    second = author_claim_create(user=other, authorship=slot(authors_paper, 0))
    services.claim_approve(moderator=moderator, claim=first)
    ModerationAction.objects.all().delete()
    Notification.objects.all().delete()

    with pytest.raises(ValidationError):
        services.claim_approve(moderator=moderator, claim=second)
    assert_nothing_written()


@pytest.mark.parametrize("reason", ["", " \n "])
def test_claim_reject_needs_a_reason(moderator, authors_paper, reason):
    claim = author_claim_create(user=make_user("ada"), authorship=slot(authors_paper, 0))

    with pytest.raises(ValidationError, match="Give a reason"):
        services.claim_reject(moderator=moderator, claim=claim, reason=reason)

    claim.refresh_from_db()
    assert claim.status == AuthorClaim.Status.PENDING
    assert_nothing_written()


def test_a_rejected_claimant_may_ask_again_once_and_a_second_rejection_is_final(
    moderator, authors_paper
):
    ada = make_user("ada")
    claim = author_claim_create(user=ada, authorship=slot(authors_paper, 0))

    services.claim_reject(
        moderator=moderator, claim=claim, reason="No link to you.", note="gmail address"
    )

    claim.refresh_from_db()
    assert (claim.status, claim.reason) == (AuthorClaim.Status.REJECTED, "No link to you.")
    assert_entry(
        the_entry(),
        action=Action.CLAIM_REJECT,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.CLAIM,
        target_id=claim.pk,
        target_label=f"Ada Lovelace on {paper_label(authors_paper)}",
        target_url=authors_paper.get_absolute_url(),
        subject_user=ada,
        reason="No link to you.",
        note="gmail address",
    )
    [first_notice] = notices(ada)
    assert "No link to you." in first_notice.message
    assert "ask again once" in first_notice.message

    claim = author_claim_ask_again(user=ada, claim=claim, evidence="https://orcid.org/0000-0001")
    assert (claim.status, claim.asked_again) == (AuthorClaim.Status.PENDING, True)

    services.claim_reject(moderator=moderator, claim=claim, reason="ORCID shows someone else.")

    assert ModerationAction.objects.filter(action=Action.CLAIM_REJECT).count() == 2
    second_notice = notices(ada)[-1]
    assert "ORCID shows someone else." in second_notice.message
    assert "ask again" not in second_notice.message
    with pytest.raises(ValidationError, match="stays rejected"):
        author_claim_ask_again(user=ada, claim=claim, evidence="Really, it is me")
    claim.refresh_from_db()
    assert claim.status == AuthorClaim.Status.REJECTED


# --- Flags --------------------------------------------------------------------------------


def test_flags_dismiss_shows_a_flag_hidden_comment_again(settings, moderator, paper, comment):
    flags = flag_until_hidden(comment, settings.FLAG_HIDE_THRESHOLD)
    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.visibility == Visibility.FLAGGED
    assert paper.comments_count == 0
    ModerationAction.objects.all().delete()  # the system's hide entry (tested in test_flags)

    dismissed = services.flags_dismiss(moderator=moderator, item=comment, note="Just a joke")

    assert dismissed == len(flags)
    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.visibility == Visibility.VISIBLE
    assert paper.comments_count == 1
    assert set(Flag.objects.values_list("resolution", "resolved_by")) == {
        (Flag.Resolution.DISMISSED, moderator.pk)
    }
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()
    assert_entry(
        the_entry(),
        action=Action.FLAGS_DISMISS,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.COMMENT,
        target_id=comment.pk,
        target_label=comment_label(comment),
        target_url=comment.get_absolute_url(),
        subject_user=None,
        reason=f"{len(flags)} flags dismissed.",
        note="Just a joke",
    )


def test_flags_dismiss_with_a_stale_comment_still_shows_it_again(settings, moderator, comment):
    """The caller's copy was read before the flags hid the comment (a queue page left open)."""
    stale = Comment.objects.get(pk=comment.pk)
    flag_until_hidden(comment, settings.FLAG_HIDE_THRESHOLD)

    services.flags_dismiss(moderator=moderator, item=stale)

    comment.refresh_from_db()
    assert comment.visibility == Visibility.VISIBLE
    assert Paper.objects.get(pk=comment.paper_id).comments_count == 1


def test_flags_dismiss_on_a_paper(moderator, paper):
    services.flag_create(user=make_member(), item=paper, reason=Flag.Reason.DUPLICATE)

    assert services.flags_dismiss(moderator=moderator, item=paper) == 1

    entry = the_entry()
    assert (entry.target_type, entry.target_id, entry.reason) == (
        Target.PAPER,
        paper.pk,
        "1 flag dismissed.",
    )
    assert entry.target_label == paper_label(paper)


def test_flags_dismiss_is_refused_without_open_flags(moderator, paper, comment):
    flag = services.flag_create(user=make_member(), item=comment, reason=Flag.Reason.SPAM)
    services.flags_dismiss(moderator=moderator, item=comment)
    ModerationAction.objects.all().delete()

    with pytest.raises(ValidationError, match="no open flags"):
        services.flags_dismiss(moderator=moderator, item=comment)
    with pytest.raises(ValidationError, match="no open flags"):
        services.flags_dismiss(moderator=moderator, item=paper)

    flag.refresh_from_db()
    assert flag.resolution == Flag.Resolution.DISMISSED
    assert_nothing_written()


# --- Comments -----------------------------------------------------------------------------


def test_hide_removes_the_comment_upholds_its_flags_and_logs(moderator, member, paper, comment):
    flag = services.flag_create(user=make_member(), item=comment, reason=Flag.Reason.SPAM)

    services.comment_hide(
        moderator=moderator, comment=comment, reason="Spam.", note="same link as yesterday"
    )

    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.visibility == Visibility.REMOVED
    assert comment.body == "Buy cheap pills"  # kept for the record, not shown
    assert paper.comments_count == 0
    flag.refresh_from_db()
    assert (flag.resolution, flag.resolved_by) == (Flag.Resolution.UPHELD, moderator)
    assert_entry(
        the_entry(),
        action=Action.COMMENT_HIDE,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.COMMENT,
        target_id=comment.pk,
        target_label=f"comment #{comment.pk} on {paper_label(paper)}",
        target_url=f"/papers/2410.09692/comments/{comment.pk}",
        subject_user=member,
        reason="Spam.",
        note="same link as yesterday",
    )
    [notice] = notices(member)
    assert "Spam." in notice.message


def test_hide_refuses_without_reason_or_when_already_removed_or_deleted(moderator, paper, member):
    removed = comment_create(author=member, paper=paper, body="one")
    services.comment_hide(moderator=moderator, comment=removed, reason="Spam.")
    deleted = comment_create(author=member, paper=paper, body="two")
    comment_create(author=make_user(), paper=paper, body="reply", parent=deleted)
    comment_delete(comment=deleted, user=member)  # stays as "[deleted]" for its reply
    fresh = comment_create(author=member, paper=paper, body="three")
    ModerationAction.objects.all().delete()
    Notification.objects.all().delete()

    with pytest.raises(ValidationError, match="Give a reason"):
        services.comment_hide(moderator=moderator, comment=fresh, reason=" ")
    with pytest.raises(ValidationError, match="already removed"):
        services.comment_hide(moderator=moderator, comment=removed, reason="Again.")
    with pytest.raises(ValidationError, match="deleted"):
        services.comment_hide(moderator=moderator, comment=deleted, reason="Spam.")

    fresh.refresh_from_db()
    assert fresh.visibility == Visibility.VISIBLE
    assert_nothing_written()


def test_hide_turns_a_flag_hidden_comment_into_a_removed_one(settings, moderator, comment):
    flag_until_hidden(comment, settings.FLAG_HIDE_THRESHOLD)

    services.comment_hide(moderator=moderator, comment=comment, reason="Spam.")

    comment.refresh_from_db()
    assert comment.visibility == Visibility.REMOVED
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.UPHELD}


def test_restore_shows_the_comment_again_and_logs(moderator, member, paper, comment):
    services.comment_hide(moderator=moderator, comment=comment, reason="Looked like spam.")
    ModerationAction.objects.all().delete()
    Notification.objects.all().delete()

    services.comment_restore(
        moderator=moderator, comment=comment, reason="It is a real question.", note="appeal"
    )

    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.visibility == Visibility.VISIBLE
    assert paper.comments_count == 1
    assert_entry(
        the_entry(),
        action=Action.COMMENT_RESTORE,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.COMMENT,
        target_id=comment.pk,
        target_label=comment_label(comment),
        target_url=comment.get_absolute_url(),
        subject_user=member,
        reason="It is a real question.",
        note="appeal",
    )
    [notice] = notices(member)
    assert "It is a real question." in notice.message


def test_restore_of_a_flag_hidden_comment_dismisses_its_flags(settings, moderator, comment):
    flag_until_hidden(comment, settings.FLAG_HIDE_THRESHOLD)

    services.comment_restore(moderator=moderator, comment=comment)

    comment.refresh_from_db()
    assert comment.visibility == Visibility.VISIBLE
    assert set(Flag.objects.values_list("resolution", flat=True)) == {Flag.Resolution.DISMISSED}
    restore = ModerationAction.objects.get(action=Action.COMMENT_RESTORE)
    assert (restore.moderator, restore.reason) == (moderator, "")


def test_restore_is_refused_for_a_visible_comment(moderator, comment):
    with pytest.raises(ValidationError, match="not hidden"):
        services.comment_restore(moderator=moderator, comment=comment)
    assert_nothing_written()


# --- Hidden comments and counters ---------------------------------------------------------


def test_hide_and_restore_keep_the_counter_equal_to_visible_comments(moderator, paper):
    authors = [make_user() for _ in range(3)]
    root = comment_create(author=authors[0], paper=paper, body="root")
    replies = [
        comment_create(author=author, paper=paper, body="reply", parent=root)
        for author in authors[1:]
    ]
    gone = comment_create(author=authors[1], paper=paper, body="to delete")
    comment_delete(comment=gone, user=authors[1])

    def counter() -> int:
        paper.refresh_from_db()
        return paper.comments_count

    assert counter() == visible_count(paper) == 3
    services.comment_hide(moderator=moderator, comment=root, reason="Off-topic.")
    assert counter() == visible_count(paper) == 2
    # The replies of a hidden comment stay, visible, in the thread.
    assert Comment.objects.filter(pk__in=[r.pk for r in replies], parent=root).count() == 2
    assert all(c.visibility == Visibility.VISIBLE for c in Comment.objects.filter(parent=root))
    services.comment_hide(moderator=moderator, comment=replies[0], reason="Off-topic.")
    assert counter() == visible_count(paper) == 1
    services.comment_restore(moderator=moderator, comment=root)
    assert counter() == visible_count(paper) == 2
    services.comment_restore(moderator=moderator, comment=replies[0])
    assert counter() == visible_count(paper) == 3


def test_a_hidden_comment_takes_no_votes_replies_or_edits(moderator, member, paper, comment):
    voter = make_user()
    services.comment_hide(moderator=moderator, comment=comment, reason="Spam.")
    comment.refresh_from_db()

    with pytest.raises(PermissionDenied):
        vote_toggle(user=voter, item=comment)
    # Even through a copy read before it was hidden: the vote re-checks the row it locks.
    stale = Comment.objects.get(pk=comment.pk)
    stale.visibility = Visibility.VISIBLE
    with pytest.raises(PermissionDenied):
        vote_toggle(user=voter, item=stale)
    with pytest.raises(ValidationError, match="visible comment"):
        comment_create(author=voter, paper=paper, body="+1", parent=comment)
    with pytest.raises(ValidationError, match="visible comment"):
        comment_create(author=voter, paper=paper, body="+1", parent=stale)
    with pytest.raises(PermissionDenied, match="moderator hid"):
        comment_update(comment=comment, user=member, body="Buy cheaper pills")

    comment.refresh_from_db()
    assert comment.upvotes_count == 0
    assert comment.body == "Buy cheap pills"
    assert not comment.replies.exists()


def test_profiles_list_only_visible_comments(settings, moderator, member, paper):
    shown = comment_create(author=member, paper=paper, body="shown")
    removed = comment_create(author=member, paper=paper, body="removed")
    flagged = comment_create(author=member, paper=paper, body="flagged")
    services.comment_hide(moderator=moderator, comment=removed, reason="Spam.")
    flag_until_hidden(flagged, settings.FLAG_HIDE_THRESHOLD)

    assert list(comments_by_user(user=member)) == [shown]


# --- Discussions --------------------------------------------------------------------------


@pytest.fixture
def listed_paper(paper, member):
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=member)
    return paper


def test_lock_and_unlock_a_discussion(moderator, member, listed_paper):
    paper = listed_paper

    services.discussion_lock(
        moderator=moderator, paper=paper, reason="Flame war.", note="see flags"
    )

    paper.refresh_from_db()
    assert paper.discussion_locked is True
    assert_entry(
        the_entry(),
        action=Action.DISCUSSION_LOCK,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.PAPER,
        target_id=paper.pk,
        target_label=paper_label(paper),
        target_url=paper.get_absolute_url(),
        subject_user=member,
        reason="Flame war.",
        note="see flags",
    )
    [notice] = notices(member)
    assert "Flame war." in notice.message
    with pytest.raises(PermissionDenied, match="locked"):
        comment_create(author=make_user(), paper=paper, body="one more")

    services.discussion_unlock(moderator=moderator, paper=paper)

    paper.refresh_from_db()
    assert paper.discussion_locked is False
    unlock = ModerationAction.objects.get(action=Action.DISCUSSION_UNLOCK)
    assert (unlock.reason, unlock.subject_user, unlock.target_id) == ("", member, paper.pk)
    comment_create(author=make_user(), paper=paper, body="one more")


def test_lock_needs_a_reason_and_refuses_no_change(moderator, paper):
    with pytest.raises(ValidationError, match="Give a reason"):
        services.discussion_lock(moderator=moderator, paper=paper, reason="")
    with pytest.raises(ValidationError, match="already open"):
        services.discussion_unlock(moderator=moderator, paper=paper, reason="")
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")
    ModerationAction.objects.all().delete()
    with pytest.raises(ValidationError, match="already locked"):
        services.discussion_lock(moderator=moderator, paper=paper, reason="Again.")
    assert_nothing_written()


def test_lock_of_a_paper_nobody_submitted_notifies_nobody(moderator, paper):
    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")

    assert the_entry().subject_user is None
    assert not Notification.objects.exists()


# --- Papers -------------------------------------------------------------------------------


def test_paper_edit_changes_fields_refreshes_search_and_logs(moderator, paper):
    services.flag_create(user=make_member(), item=paper, reason=Flag.Reason.WRONG_METADATA)
    search = build_search_query("zeppelin")
    assert ranked_paper_ids(search) == []

    changed = services.paper_edit(
        moderator=moderator,
        paper=paper,
        fields={
            "title": "Zeppelin: adaptive learning rates ",
            "abstract": paper.abstract,  # unchanged: not listed
            "github_repo": "https://github.com/example/zeppelin",
        },
        reason="Title from the PDF.",
        note="reported twice",
    )

    assert changed == ["title", "github_repo"]
    paper.refresh_from_db()
    assert paper.title == "Zeppelin: adaptive learning rates"
    assert paper.github_repo == "https://github.com/example/zeppelin"
    assert ranked_paper_ids(search) == [paper.pk]
    names = ", ".join(Paper._meta.get_field(name).verbose_name for name in changed)
    assert_entry(
        the_entry(),
        action=Action.PAPER_EDIT,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.PAPER,
        target_id=paper.pk,
        target_label=paper_label(paper),
        target_url=paper.get_absolute_url(),
        subject_user=None,
        reason=f"Changed {names}. Title from the PDF.",
        note="reported twice",
    )
    assert Flag.objects.get().resolution == Flag.Resolution.UPHELD


def test_paper_edit_with_nothing_changed_is_refused(moderator, paper):
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.paper_edit(
            moderator=moderator, paper=paper, fields={"title": paper.title}, reason="Fix."
        )
    with pytest.raises(ValidationError, match="Give a reason"):
        services.paper_edit(moderator=moderator, paper=paper, fields={"title": "New"}, reason="")
    assert_nothing_written()


def test_paper_edit_with_an_invalid_url_writes_nothing(moderator, paper):
    title = paper.title

    with pytest.raises(ValidationError) as error:
        services.paper_edit(
            moderator=moderator,
            paper=paper,
            fields={"title": "A better title", "project_page": "not a link"},
            reason="Fix.",
        )

    assert "project_page" in error.value.message_dict
    paper.refresh_from_db()
    assert (paper.title, paper.project_page) == (title, "")
    assert ranked_paper_ids(build_search_query("better")) == []
    assert_nothing_written()


def test_remove_from_day_takes_the_paper_off_its_list_and_logs(moderator, member, listed_paper):
    paper, today = listed_paper, timezone.localdate()

    entry = services.paper_remove_from_day(
        moderator=moderator, paper=paper, reason="Not new.", note="dup of 2409.1"
    )

    assert entry.day == today
    assert not DailyEntry.objects.filter(paper=paper).exists()
    assert not daily_entries_in_period(start=today, end=today).exists()
    assert Paper.objects.filter(pk=paper.pk).exists()  # the paper and its page stay
    assert_entry(
        the_entry(),
        action=Action.PAPER_REMOVE_FROM_DAY,
        moderator=moderator,
        moderator_name="mod",
        target_type=Target.PAPER,
        target_id=paper.pk,
        target_label=paper_label(paper),
        target_url=paper.get_absolute_url(),
        subject_user=member,
        reason=f"Removed from {long_date(today)}. Not new.",
        note="dup of 2409.1",
    )
    [notice] = notices(member)
    assert "Not new." in notice.message


def test_a_removed_paper_resubmitted_by_a_trusted_user_waits_for_review(
    settings, moderator, member, listed_paper
):
    settings.SUBMISSION_MAX_PAPER_AGE_DAYS = 100_000
    trusted = make_member()
    make_submission(user=trusted, status=Submission.Status.PUBLISHED)
    services.paper_remove_from_day(moderator=moderator, paper=listed_paper, reason="Not new.")

    outcome = submission_create(user=trusted, text=listed_paper.arxiv_id)

    assert outcome.submission.status == Submission.Status.PENDING
    assert not DailyEntry.objects.filter(paper=listed_paper).exists()


def test_a_moderator_does_not_approve_a_submission_of_their_own_paper(moderator, paper):
    claim = author_claim_create(user=moderator, authorship=paper.authorships.first())
    services.claim_approve(moderator=make_moderator(), claim=claim)
    submission = make_submission(user=make_member(), status=Submission.Status.PENDING, paper=paper)

    with pytest.raises(PermissionDenied, match="submitted or wrote"):
        services.submission_approve(moderator=moderator, submission=submission)
    assert not DailyEntry.objects.filter(paper=paper).exists()


def test_remove_from_day_is_refused_for_an_unlisted_paper(moderator, paper):
    with pytest.raises(ValidationError, match="not on any day"):
        services.paper_remove_from_day(moderator=moderator, paper=paper, reason="Not new.")
    assert_nothing_written()


# --- Users --------------------------------------------------------------------------------


def sanction_entry(moderator, user, action, reason, note="") -> dict:
    return {
        "action": action,
        "moderator": moderator,
        "moderator_name": moderator.username,
        "target_type": Target.USER,
        "target_id": user.pk,
        "target_label": f"@{user.username}",
        "target_url": f"/users/{user.username}",
        "subject_user": user,
        "reason": reason,
        "note": note,
    }


def test_warn(moderator, member):
    services.user_warn(moderator=moderator, user=member, reason="Be kind.", note="2nd time")

    assert_entry(
        the_entry(), **sanction_entry(moderator, member, Action.USER_WARN, "Be kind.", "2nd time")
    )
    [notice] = notices(member)
    assert "Be kind." in notice.message
    member.refresh_from_db()
    assert not member.is_banned
    assert not member.is_suspended


def test_suspend(moderator, member):
    before = timezone.now()

    services.user_suspend(moderator=moderator, user=member, days=7, reason="Spam.", note="bot?")

    member.refresh_from_db()
    assert member.is_suspended
    expected = before + dt.timedelta(days=7)
    assert expected <= member.suspended_until <= expected + dt.timedelta(minutes=1)
    entry = sanction_entry(moderator, member, Action.USER_SUSPEND, "For 7 days. Spam.", "bot?")
    assert_entry(the_entry(), **entry)
    [notice] = notices(member)
    assert "Spam." in notice.message
    assert "7 days" in notice.message


def test_ban_and_unban(moderator, member):
    services.user_ban(moderator=moderator, user=member, reason="Spam bot.")

    member.refresh_from_db()
    assert member.is_banned
    assert_entry(the_entry(), **sanction_entry(moderator, member, Action.USER_BAN, "Spam bot."))
    with pytest.raises(ValidationError, match="already banned"):
        services.user_ban(moderator=moderator, user=member, reason="Again.")
    with pytest.raises(ValidationError, match="banned; lift the ban"):
        services.user_suspend(moderator=moderator, user=member, days=3, reason="Spam.")

    services.user_unban(moderator=moderator, user=member, reason="Appeal accepted.")

    member.refresh_from_db()
    assert not member.is_banned
    assert member.suspended_until is None
    unban = ModerationAction.objects.get(action=Action.USER_UNBAN)
    assert_entry(unban, **sanction_entry(moderator, member, Action.USER_UNBAN, "Appeal accepted."))
    assert ModerationAction.objects.count() == 2
    assert len(notices(member)) == 2


def test_unban_lifts_a_suspension(moderator, member):
    services.user_suspend(moderator=moderator, user=member, days=3, reason="Spam.")

    services.user_unban(moderator=moderator, user=member, reason="Mistake.")

    member.refresh_from_db()
    assert member.suspended_until is None
    assert not member.is_suspended


def test_sanctions_need_a_reason_and_unban_needs_a_sanction(moderator, member):
    for sanction in (services.user_warn, services.user_ban, services.user_unban):
        with pytest.raises(ValidationError, match="Give a reason"):
            sanction(moderator=moderator, user=member, reason="")
    with pytest.raises(ValidationError, match="Give a reason"):
        services.user_suspend(moderator=moderator, user=member, days=3, reason="")
    with pytest.raises(ValidationError, match="neither banned nor suspended"):
        services.user_unban(moderator=moderator, user=member, reason="Why not.")
    assert_nothing_written()
