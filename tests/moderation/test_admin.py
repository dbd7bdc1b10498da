"""The Django admin goes through the moderation services: each action asks for the reason,
writes the log, recomputes the counters and tells the user; what only the services may change
is read-only, and nothing that would cascade can be deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.models import DailyEntry, Paper
from apps.submissions.models import Submission
from apps.users.models import User
from apps.votes.models import Vote
from apps.votes.services import vote_toggle
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_member
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db

Action = ModerationAction.Action


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def boss(db) -> User:
    return make_user("boss", is_staff=True, is_superuser=True)


@pytest.fixture
def admin(client, boss):
    client.force_login(boss)
    return client


def changelist(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def act(admin, model: type, action: str, items: list, **form):
    """Run an admin action on ``items``; with ``form`` (the reason page's fields), confirmed."""
    data = {"action": action, "_selected_action": [item.pk for item in items]}
    if form:
        data |= {"apply": "1", **form}
    return admin.post(changelist(model), data, follow=bool(form))


def logged(action: str) -> list[ModerationAction]:
    return list(ModerationAction.objects.filter(action=action))


def notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Notification.Kind.MODERATION))


# --- Comments -----------------------------------------------------------------------------


@pytest.fixture
def comment(db) -> Comment:
    return comment_create(author=make_member("writer"), paper=make_paper(), body="Rude words")


def test_hiding_asks_for_the_reason_then_goes_through_the_service(admin, boss, comment):
    page = act(admin, Comment, "hide_comments", [comment])

    assert page.status_code == 200
    html = page.content.decode()
    assert "Remove comments" in html
    assert 'name="reason"' in html
    assert f'name="_selected_action" value="{comment.pk}"' in html
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE  # nothing until confirmed

    done = act(admin, Comment, "hide_comments", [comment], reason="Unkind.", note="3rd time")

    assert "Removed 1 comment(s)." in done.content.decode()
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.REMOVED
    assert Paper.objects.get(pk=comment.paper_id).comments_count == 0
    (entry,) = logged(Action.COMMENT_HIDE)
    assert (entry.moderator, entry.reason, entry.note) == (boss, "Unkind.", "3rd time")
    assert len(notices(comment.author)) == 1


def test_hiding_without_a_reason_changes_nothing(admin, comment):
    response = act(admin, Comment, "hide_comments", [comment], reason="", note="")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    assert not ModerationAction.objects.exists()


def test_restoring_recounts_and_logs(admin, boss, comment):
    services.comment_hide(moderator=boss, comment=comment, reason="Unkind.")

    act(admin, Comment, "restore_comments", [comment], reason="", note="")

    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    assert Paper.objects.get(pk=comment.paper_id).comments_count == 1
    assert len(logged(Action.COMMENT_RESTORE)) == 1


def test_refusals_are_reported_per_item(admin, boss, comment):
    own = comment_create(author=boss, paper=comment.paper, body="Mine")

    response = act(admin, Comment, "hide_comments", [comment, own], reason="Spam.")

    html = response.content.decode()
    assert "Removed 1 comment(s)." in html
    assert "You cannot moderate your own comment" in html
    own.refresh_from_db()
    assert own.visibility == Comment.Visibility.VISIBLE


def test_comments_cannot_be_deleted_or_added_and_visibility_is_read_only(admin, comment):
    html = admin.get(changelist(Comment)).content.decode()
    assert "delete_selected" not in html
    assert "hide_comments" in html
    url = reverse("admin:comments_comment_delete", args=[comment.pk])
    assert admin.post(url, {"post": "yes"}).status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert admin.get(reverse("admin:comments_comment_add")).status_code == 403
    change = admin.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    form = change.content.decode()
    for field in ("visibility", "is_deleted", "upvotes_count", "paper", "parent"):
        assert f'name="{field}"' not in form, field
    assert 'name="body"' in form


# --- Papers -------------------------------------------------------------------------------


@pytest.fixture
def paper(db) -> Paper:
    paper = make_paper()
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=make_member("submitter"))
    vote_toggle(user=make_user(), item=paper)
    return paper


def test_papers_cannot_be_deleted_added_or_edited_here(admin, paper):
    html = admin.get(changelist(Paper)).content.decode()
    assert "delete_selected" not in html
    assert admin.post(reverse("admin:papers_paper_delete", args=[paper.pk])).status_code == 403
    assert admin.get(reverse("admin:papers_paper_add")).status_code == 403
    change = admin.get(reverse("admin:papers_paper_change", args=[paper.pk])).content.decode()
    assert 'name="title"' not in change
    assert reverse("moderation:paper_edit", args=[paper.arxiv_id]) in change
    assert reverse("moderation:paper_merge", args=[paper.arxiv_id]) in change
    admin.post(reverse("admin:papers_paper_change", args=[paper.pk]), {"title": "Changed"})
    paper.refresh_from_db()
    assert paper.title != "Changed"
    assert Vote.objects.filter(paper=paper).count() == 1


def test_locking_and_unlocking_discussions(admin, paper):
    assert "Lock discussions" in act(admin, Paper, "lock_discussions", [paper]).content.decode()

    act(admin, Paper, "lock_discussions", [paper], reason="Flame war.")
    paper.refresh_from_db()
    assert paper.discussion_locked
    (entry,) = logged(Action.DISCUSSION_LOCK)
    assert entry.reason == "Flame war."

    act(admin, Paper, "unlock_discussions", [paper], reason="")
    paper.refresh_from_db()
    assert not paper.discussion_locked
    assert len(logged(Action.DISCUSSION_UNLOCK)) == 1


def test_removing_from_the_day(admin, paper):
    response = act(admin, Paper, "remove_from_day", [paper], reason="Off-topic.")

    assert "Removed 1 paper(s) from their day." in response.content.decode()
    assert not DailyEntry.objects.filter(paper=paper).exists()
    (entry,) = logged(Action.PAPER_REMOVE_FROM_DAY)
    assert entry.reason.endswith("Off-topic.")
    assert len(notices(entry.subject_user)) == 1


# --- Claims and submissions -----------------------------------------------------------------


def test_submissions_are_approved_and_rejected_through_the_services(admin):
    submitter = make_member("sam")
    approve = make_submission(user=submitter, status=Submission.Status.PENDING)
    reject = make_submission(user=submitter, status=Submission.Status.PENDING)

    act(admin, Submission, "approve_submissions", [approve])
    assert (
        "Reject submissions"
        in act(admin, Submission, "reject_submissions", [reject]).content.decode()
    )
    act(admin, Submission, "reject_submissions", [reject], reason="Not a paper.")

    approve.refresh_from_db()
    reject.refresh_from_db()
    assert approve.status == Submission.Status.PUBLISHED
    assert (reject.status, reject.message) == (Submission.Status.REJECTED, "Not a paper.")
    assert len(logged(Action.SUBMISSION_APPROVE)) == len(logged(Action.SUBMISSION_REJECT)) == 1
    assert len(notices(submitter)) == 2


# --- Accounts -----------------------------------------------------------------------------


def test_ban_suspend_and_unban_through_the_services(admin):
    troll, spammer = make_member("troll"), make_member("spammer")

    act(admin, User, "ban_users", [troll], reason="Trolling.")
    act(admin, User, "suspend_users", [spammer], reason="Spam.")

    troll.refresh_from_db()
    spammer.refresh_from_db()
    assert troll.is_banned
    assert spammer.is_suspended
    left = spammer.suspended_until - timezone.now()
    assert dt.timedelta(days=6, hours=23) < left <= dt.timedelta(days=7)
    assert logged(Action.USER_SUSPEND)[0].reason == "For 7 days. Spam."

    act(admin, User, "unban_users", [troll, spammer], reason="Second chance.")
    troll.refresh_from_db()
    spammer.refresh_from_db()
    assert not troll.is_banned
    assert not spammer.is_suspended
    assert len(logged(Action.USER_UNBAN)) == 2
    assert len(notices(troll)) == 2


def test_standing_is_read_only_on_the_user_page(admin):
    user = make_member("someone")
    url = reverse("admin:users_user_change", args=[user.pk])

    html = admin.get(url).content.decode()

    assert 'name="is_banned"' not in html
    assert 'name="suspended_until' not in html
    assert 'name="display_name"' in html


def test_deleting_an_account_in_the_admin_recounts_its_votes(admin, paper):
    voter = make_user("voter")
    vote_toggle(user=voter, item=paper)
    paper.refresh_from_db()
    assert paper.upvotes_count == 2

    admin.post(reverse("admin:users_user_delete", args=[voter.pk]), {"post": "yes"})

    assert not User.objects.filter(pk=voter.pk).exists()
    paper.refresh_from_db()
    assert paper.upvotes_count == 1 == Vote.objects.filter(paper=paper).count()


# --- Flags and the log --------------------------------------------------------------------


def test_flags_and_the_log_are_read_only(admin, boss, comment):
    flag = services.flag_create(user=make_member("flagger"), item=comment, reason="spam")
    services.comment_hide(moderator=boss, comment=comment, reason="Spam.")
    entry = ModerationAction.objects.get()

    index = admin.get(reverse("admin:index")).content.decode()
    assert "Moderation actions" in index
    assert "Flags" in index
    flags = admin.get(changelist(Flag), {"resolution__exact": "upheld"}).content.decode()
    assert "flagger" in flags
    assert "By resolution" in flags
    assert "flagger" not in admin.get(changelist(Flag), {"resolution__exact": ""}).content.decode()
    assert "Spam." in admin.get(changelist(ModerationAction)).content.decode()
    for model, item in [(Flag, flag), (ModerationAction, entry)]:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert admin.get(reverse(f"{name}_add")).status_code == 403
        assert (
            admin.post(reverse(f"{name}_delete", args=[item.pk]), {"post": "yes"}).status_code
            == 403
        )
        change = admin.get(reverse(f"{name}_change", args=[item.pk])).content.decode()
        assert 'name="reason"' not in change
    assert ModerationAction.objects.filter(pk=entry.pk).exists()
    assert Flag.objects.filter(pk=flag.pk).exists()


def test_daily_entries_are_read_only_in_the_admin(client, staff):
    entry = make_entry(day=dt.date(2024, 10, 7))
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)

    change = client.post(
        reverse("admin:papers_dailyentry_change", args=[entry.pk]), {"day": "2024-10-08"}
    )
    delete = client.post(
        reverse("admin:papers_dailyentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert change.status_code == delete.status_code == 403
    entry.refresh_from_db()
    assert entry.day == dt.date(2024, 10, 7)
