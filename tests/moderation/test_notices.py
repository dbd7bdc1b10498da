"""The affected user is told of each decision, with the reason: in the app at once, by email
after the decision commits (unless they turned moderation emails off). Private notes never
reach them; accounts that are gone get nothing."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import ModerationAction
from apps.notifications.models import Notification
from apps.notifications.services import notification_preference_update
from apps.papers.services import author_claim_create
from apps.submissions.models import Submission
from apps.users.models import User
from apps.users.services import user_delete
from config.celery import app as celery_app
from tests.factories import make_entry, make_paper
from tests.moderation.conftest import make_member, make_moderator
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db

NOTE = "PRIVATE: same IP as the spam ring"


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def _email_in_process(settings):
    """Emails go to the locmem outbox, and the queued task runs in this process."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


def recent_paper():
    return make_paper(published_on=timezone.localdate() - dt.timedelta(days=2))


def listed_paper(submitter: User):
    paper = recent_paper()
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=submitter)
    return paper


def pending_submission(user: User) -> Submission:
    return make_submission(user=user, status=Submission.Status.PENDING, paper=recent_paper())


def claim_of(user: User):
    return author_claim_create(user=user, authorship=make_paper().authorships.first())


def hidden_comment(user: User, moderator: User):
    comment = comment_create(author=user, paper=make_paper(), body="Hmm")
    services.comment_hide(moderator=moderator, comment=comment, reason="Looked like spam.")
    return comment


# name: (prepare(user, moderator) -> item, decide(moderator, item) -> None, words in the notice)
Decision = tuple[Callable[[User, User], object], Callable[[User, object], object], str]
DECISIONS: dict[str, Decision] = {
    "submission approve": (
        lambda u, m: pending_submission(u),
        lambda m, s: services.submission_approve(moderator=m, submission=s, note=NOTE),
        "approved your submission",
    ),
    "submission reject": (
        lambda u, m: pending_submission(u),
        lambda m, s: services.submission_reject(
            moderator=m, submission=s, reason="Not about machine learning.", note=NOTE
        ),
        "Not about machine learning.",
    ),
    "claim approve": (
        lambda u, m: claim_of(u),
        lambda m, c: services.claim_approve(moderator=m, claim=c, note=NOTE),
        "approved your claim",
    ),
    "claim reject": (
        lambda u, m: claim_of(u),
        lambda m, c: services.claim_reject(
            moderator=m, claim=c, reason="The ORCID record is someone else's.", note=NOTE
        ),
        "The ORCID record is someone else's.",
    ),
    "comment hide": (
        lambda u, m: comment_create(author=u, paper=make_paper(), body="Buy pills"),
        lambda m, c: services.comment_hide(moderator=m, comment=c, reason="Spam.", note=NOTE),
        "Spam.",
    ),
    "comment restore": (
        hidden_comment,
        lambda m, c: services.comment_restore(
            moderator=m, comment=c, reason="It was a fair question.", note=NOTE
        ),
        "It was a fair question.",
    ),
    "discussion lock": (
        lambda u, m: listed_paper(u),
        lambda m, p: services.discussion_lock(
            moderator=m, paper=p, reason="The thread turned personal.", note=NOTE
        ),
        "The thread turned personal.",
    ),
    "remove from day": (
        lambda u, m: listed_paper(u),
        lambda m, p: services.paper_remove_from_day(
            moderator=m, paper=p, reason="Published in 2019 already.", note=NOTE
        ),
        "Published in 2019 already.",
    ),
    "warn": (
        lambda u, m: u,
        lambda m, u: services.user_warn(moderator=m, user=u, reason="Please be kind.", note=NOTE),
        "Please be kind.",
    ),
    "suspend": (
        lambda u, m: u,
        lambda m, u: services.user_suspend(
            moderator=m, user=u, days=3, reason="Repeated insults.", note=NOTE
        ),
        "Repeated insults.",
    ),
    "ban": (
        lambda u, m: u,
        lambda m, u: services.user_ban(moderator=m, user=u, reason="Spam bot.", note=NOTE),
        "Spam bot.",
    ),
    "unban": (
        lambda u, m: services.user_ban(moderator=m, user=u, reason="Spam bot."),
        lambda m, u: services.user_unban(moderator=m, user=u, reason="Appeal accepted.", note=NOTE),
        "Appeal accepted.",
    ),
}


def decide(name: str, user: User, moderator: User, capture) -> list[Callable]:
    """Prepare the item, forget what preparing wrote, then decide; returns the callbacks the
    decision queued for after its commit (run them with ``execute=True``)."""
    prepare, act, _words = DECISIONS[name]
    item = prepare(user, moderator)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with capture as callbacks:
        act(moderator, item)
    return callbacks


@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.usefixtures("_email_in_process")
def test_each_decision_tells_the_user_in_the_app_and_by_email_after_commit(
    django_capture_on_commit_callbacks, moderator, name
):
    user = make_member()

    decide(name, user, moderator, django_capture_on_commit_callbacks(execute=True))

    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind) == (user, Notification.Kind.MODERATION)
    assert notice.comment is None
    assert notice.subject
    words = DECISIONS[name][2]
    assert words in notice.message
    assert NOTE not in notice.subject + notice.message
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    [email] = mail.outbox
    assert email.to == [user.email]
    assert email.subject == notice.subject
    assert words in email.body
    assert NOTE not in email.subject + email.body
    if notice.url:
        assert notice.url in email.body
    # The public log keeps the note for moderators.
    assert ModerationAction.objects.filter(note=NOTE).count() == 1


@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.usefixtures("_email_in_process")
def test_no_email_is_sent_before_the_decision_commits(
    django_capture_on_commit_callbacks, moderator, name
):
    user = make_member()

    callbacks = decide(name, user, moderator, django_capture_on_commit_callbacks())

    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.usefixtures("_email_in_process")
def test_moderation_emails_turned_off_leave_the_notice_in_the_app_only(
    django_capture_on_commit_callbacks, moderator, name
):
    user = make_member()
    notification_preference_update(
        user=user, email_on_reply=True, email_on_mention=True, email_on_moderation=False
    )

    callbacks = decide(name, user, moderator, django_capture_on_commit_callbacks(execute=True))

    assert Notification.objects.get().recipient == user
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.usefixtures("_email_in_process")
def test_turning_emails_off_after_the_decision_still_stops_the_email(
    django_capture_on_commit_callbacks, moderator, member
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.user_warn(moderator=moderator, user=member, reason="Please be kind.")
    notification_preference_update(
        user=member, email_on_reply=True, email_on_mention=True, email_on_moderation=False
    )

    for callback in callbacks:
        callback()

    assert mail.outbox == []
    assert Notification.objects.get().emailed_at is None


@pytest.mark.usefixtures("_email_in_process")
def test_other_notification_emails_off_do_not_stop_moderation_emails(
    django_capture_on_commit_callbacks, moderator, member
):
    notification_preference_update(
        user=member, email_on_reply=False, email_on_mention=False, email_on_moderation=True
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.user_warn(moderator=moderator, user=member, reason="Please be kind.")

    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("_email_in_process")
def test_an_inactive_account_gets_nothing(django_capture_on_commit_callbacks, moderator):
    user = make_member(is_active=False)
    paper = listed_paper(user)
    comment = comment_create(author=make_member(), paper=paper, body="x")
    User.objects.filter(pk=comment.author_id).update(is_active=False)
    comment.author.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.user_warn(moderator=moderator, user=user, reason="Please be kind.")
        services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")
        services.comment_hide(moderator=moderator, comment=comment, reason="Spam.")

    assert ModerationAction.objects.count() == 3  # the decisions are still logged
    assert not Notification.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.usefixtures("_email_in_process")
def test_a_deleted_account_gets_nothing_and_its_content_is_still_moderated(
    django_capture_on_commit_callbacks, moderator
):
    author = make_member()
    comment = comment_create(author=author, paper=make_paper(), body="Buy pills")
    user_delete(user=author)
    comment.refresh_from_db()
    assert comment.author is None

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_hide(moderator=moderator, comment=comment, reason="Spam.")

    assert ModerationAction.objects.get().subject_user is None
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.usefixtures("_email_in_process")
def test_a_user_without_an_email_address_gets_the_notice_in_the_app_only(
    django_capture_on_commit_callbacks, moderator
):
    user = make_member()
    User.objects.filter(pk=user.pk).update(email="")
    EmailAddress.objects.filter(user=user).delete()
    user.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.user_warn(moderator=moderator, user=user, reason="Please be kind.")

    assert Notification.objects.get().recipient == user
    assert callbacks == []


@pytest.mark.usefixtures("_email_in_process")
def test_a_refused_decision_tells_nobody(django_capture_on_commit_callbacks, moderator, member):
    submission = pending_submission(member)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Exception):  # noqa: B017, PT011 - any refusal
            services.submission_reject(moderator=moderator, submission=submission, reason="")
        with pytest.raises(Exception):  # noqa: B017, PT011
            services.user_ban(moderator=make_member(), user=member, reason="Spam.")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.usefixtures("_email_in_process")
def test_competing_claimants_are_told_when_another_claim_is_approved(
    django_capture_on_commit_callbacks, moderator
):
    paper = make_paper(authors=["Ada Lovelace"])
    ada, impostor = make_member(), make_member()
    claim = author_claim_create(user=ada, authorship=paper.authorships.get())
    author_claim_create(user=impostor, authorship=paper.authorships.get())

    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(moderator=moderator, claim=claim)

    recipients = sorted(n.recipient.username for n in Notification.objects.all())
    assert recipients == sorted([ada.username, impostor.username])
    assert sorted(email.to[0] for email in mail.outbox) == sorted([ada.email, impostor.email])


# --- Through a real worker ------------------------------------------------------------------


@pytest.mark.worker
def test_a_suspension_notice_email_is_sent_by_a_real_worker(celery_worker):
    moderator = make_moderator("mod")
    user = make_member("ada")

    services.user_suspend(
        moderator=moderator, user=user, days=3, reason="Repeated insults.", note=NOTE
    )

    notice = Notification.objects.get(recipient=user)
    deadline = time.monotonic() + 60
    while notice.emailed_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        notice.refresh_from_db()
    log = celery_worker.log.read_text()
    assert notice.emailed_at is not None, f"worker log:\n{log[-3000:]}"
    files = list(celery_worker.outbox.iterdir())
    assert len(files) == 1
    email = files[0].read_text()
    assert "To: ada@example.org" in email
    assert "Repeated insults." in email
    assert "suspended" in email
    assert NOTE not in email
