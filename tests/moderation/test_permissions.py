"""Who may run each moderation service: the moderators group's permissions (one per kind of
action), staff and superusers; nobody in bad standing; nobody on their own content or account;
only staff on another moderator's or a staff account."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.moderation.permissions import Power, moderator_can, moderator_powers
from apps.notifications.models import Notification
from apps.papers.models import AuthorClaim, Paper
from apps.papers.services import author_claim_approve, author_claim_create
from apps.submissions.models import Submission
from apps.users.models import User
from apps.users.roles import MODERATORS_GROUP, user_is_moderator
from tests.factories import make_entry, make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_member, make_moderator, moderators_group
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


# --- One item of each kind, owned by an ordinary member -------------------------------------


@dataclass
class World:
    owner: User
    submission: Submission
    claim: AuthorClaim
    comment: Comment  # visible, with an open flag
    hidden_comment: Comment
    paper: Paper  # on today's list, submitted by the owner
    locked_paper: Paper
    banned: User


def build_world(owner: User | None = None) -> World:
    owner = owner or make_member()
    staff = verify_for_log_in(make_user(is_staff=True))
    paper = make_paper()
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=owner)
    comment = comment_create(author=owner, paper=paper, body="A comment")
    services.flag_create(user=make_member(), item=comment, reason=Flag.Reason.SPAM)
    hidden = comment_create(author=owner, paper=paper, body="Another")
    services.comment_hide(moderator=staff, comment=hidden, reason="Spam.")
    locked = make_paper()
    make_entry(day=timezone.localdate(), paper=locked, submitted_by=owner)
    services.discussion_lock(moderator=staff, paper=locked, reason="Flame war.")
    banned = make_member()
    services.user_ban(moderator=staff, user=banned, reason="Spam.")
    claimed = make_paper()
    world = World(
        owner=owner,
        submission=make_submission(
            user=owner,
            status=Submission.Status.PENDING,
            paper=make_paper(published_on=timezone.localdate() - dt.timedelta(days=2)),
        ),
        claim=author_claim_create(user=owner, authorship=claimed.authorships.first()),
        comment=comment,
        hidden_comment=hidden,
        paper=paper,
        locked_paper=locked,
        banned=banned,
    )
    ModerationAction.objects.all().delete()
    Notification.objects.all().delete()
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()


# name: (power, call(actor, world), acts on the owner's account)
ACTIONS: dict[str, tuple[Power, Callable[[User, World], object]]] = {
    "submission_approve": (
        Power.REVIEW_SUBMISSIONS,
        lambda m, w: services.submission_approve(moderator=m, submission=w.submission),
    ),
    "submission_reject": (
        Power.REVIEW_SUBMISSIONS,
        lambda m, w: services.submission_reject(
            moderator=m, submission=w.submission, reason="Off-topic."
        ),
    ),
    "claim_approve": (
        Power.REVIEW_CLAIMS,
        lambda m, w: services.claim_approve(moderator=m, claim=w.claim),
    ),
    "claim_reject": (
        Power.REVIEW_CLAIMS,
        lambda m, w: services.claim_reject(moderator=m, claim=w.claim, reason="No evidence."),
    ),
    "flags_dismiss": (
        Power.HANDLE_FLAGS,
        lambda m, w: services.flags_dismiss(moderator=m, item=w.comment),
    ),
    "comment_hide": (
        Power.HIDE_COMMENTS,
        lambda m, w: services.comment_hide(moderator=m, comment=w.comment, reason="Spam."),
    ),
    "comment_restore": (
        Power.HIDE_COMMENTS,
        lambda m, w: services.comment_restore(moderator=m, comment=w.hidden_comment),
    ),
    "discussion_lock": (
        Power.LOCK_DISCUSSIONS,
        lambda m, w: services.discussion_lock(moderator=m, paper=w.paper, reason="Flame war."),
    ),
    "discussion_unlock": (
        Power.LOCK_DISCUSSIONS,
        lambda m, w: services.discussion_unlock(moderator=m, paper=w.locked_paper),
    ),
    "paper_edit": (
        Power.EDIT_PAPERS,
        lambda m, w: services.paper_edit(
            moderator=m, paper=w.paper, fields={"title": "Fixed title"}, reason="Typo."
        ),
    ),
    "paper_remove_from_day": (
        Power.EDIT_PAPERS,
        lambda m, w: services.paper_remove_from_day(moderator=m, paper=w.paper, reason="Old."),
    ),
    "user_warn": (
        Power.SANCTION_USERS,
        lambda m, w: services.user_warn(moderator=m, user=w.owner, reason="Be kind."),
    ),
    "user_suspend": (
        Power.SANCTION_USERS,
        lambda m, w: services.user_suspend(moderator=m, user=w.owner, days=3, reason="Spam."),
    ),
    "user_ban": (
        Power.SANCTION_USERS,
        lambda m, w: services.user_ban(moderator=m, user=w.owner, reason="Spam."),
    ),
    "user_unban": (
        Power.SANCTION_USERS,
        lambda m, w: services.user_unban(moderator=m, user=w.banned, reason="Appeal."),
    ),
}


def assert_refused(call: Callable[[], object]) -> None:
    with pytest.raises(PermissionDenied):
        call()
    assert not ModerationAction.objects.exists()
    assert not Notification.objects.exists()


def test_every_power_is_checked_by_some_service():
    assert {power for power, _call in ACTIONS.values()} == set(Power)


# --- Who may act --------------------------------------------------------------------------


def suspended_moderator() -> User:
    return make_moderator(suspended_until=timezone.now() + dt.timedelta(days=2))


def banned_moderator() -> User:
    return make_moderator(is_banned=True)


PEOPLE_REFUSED = {
    "anonymous": AnonymousUser,
    "ordinary user": make_member,
    "suspended moderator": suspended_moderator,
    "banned moderator": banned_moderator,
    "suspended staff": lambda: make_user(
        is_staff=True, suspended_until=timezone.now() + dt.timedelta(days=2)
    ),
    "inactive moderator": lambda: make_moderator(is_active=False),
}


@pytest.mark.parametrize("who", PEOPLE_REFUSED)
@pytest.mark.parametrize("name", ACTIONS)
def test_refused_for_people_without_the_power(world, who, name):
    actor = PEOPLE_REFUSED[who]()
    _power, call = ACTIONS[name]

    assert_refused(lambda: call(actor, world))


PEOPLE_ALLOWED = {
    "moderator": make_moderator,
    "staff": lambda: verify_for_log_in(make_user(is_staff=True)),
    "superuser": lambda: verify_for_log_in(make_user(is_superuser=True)),
}


@pytest.mark.parametrize("who", PEOPLE_ALLOWED)
@pytest.mark.parametrize("name", ACTIONS)
def test_allowed_for_moderators_staff_and_superusers(world, who, name):
    actor = PEOPLE_ALLOWED[who]()
    _power, call = ACTIONS[name]

    call(actor, world)

    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.moderator_name, entry.action) == (
        actor,
        actor.username,
        name if name != "paper_remove_from_day" else ModerationAction.Action.PAPER_REMOVE_FROM_DAY,
    )


@pytest.mark.parametrize("name", ACTIONS)
def test_a_group_without_one_permission_loses_only_those_actions(world, name):
    power, call = ACTIONS[name]
    moderator = make_moderator()  # (re)grants the group every permission
    moderators_group().permissions.remove(
        Permission.objects.get(content_type__app_label="moderation", codename=power)
    )
    moderator = User.objects.get(pk=moderator.pk)  # no cached permissions

    assert moderator_powers(moderator) == set(Power) - {power}
    assert_refused(lambda: call(moderator, world))
    # The same moderator still does what the other permissions allow.
    other_name = next(other for other, (p, _c) in ACTIONS.items() if p != power)
    ACTIONS[other_name][1](User.objects.get(pk=moderator.pk), world)
    assert ModerationAction.objects.get().moderator == moderator


def test_a_single_permission_granted_directly_allows_that_action_only(world):
    user = make_member()
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="moderation", codename=Power.LOCK_DISCUSSIONS
        )
    )

    assert moderator_powers(user) == {Power.LOCK_DISCUSSIONS}
    assert_refused(lambda: ACTIONS["comment_hide"][1](user, world))
    services.discussion_lock(moderator=user, paper=world.paper, reason="Flame war.")


# --- Self-moderation ----------------------------------------------------------------------

OWN_ITEM_ACTIONS = [
    "submission_approve",
    "submission_reject",
    "claim_approve",
    "claim_reject",
    "flags_dismiss",
    "comment_hide",
    "comment_restore",
    "discussion_lock",
    "discussion_unlock",
    "paper_edit",
    "paper_remove_from_day",
    "user_warn",
    "user_suspend",
    "user_ban",
]


@pytest.mark.parametrize("who", ["moderator", "staff"])
@pytest.mark.parametrize("name", OWN_ITEM_ACTIONS)
def test_nobody_moderates_their_own_content_or_account(db, who, name):
    """The world's owner is a moderator (or staff): their submission, claim, comments, the
    papers they submitted and their own account."""
    owner = make_moderator() if who == "moderator" else verify_for_log_in(make_user(is_staff=True))
    world = build_world(owner)

    assert_refused(lambda: ACTIONS[name][1](owner, world))


def test_a_moderator_cannot_dismiss_flags_on_a_paper_they_submitted(moderator):
    paper = make_paper()
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=moderator)
    services.flag_create(user=make_member(), item=paper, reason=Flag.Reason.SPAM)

    assert_refused(lambda: services.flags_dismiss(moderator=moderator, item=paper))
    services.flags_dismiss(moderator=make_moderator(), item=paper)


PAPER_ACTIONS = {
    "discussion_lock": lambda m, p: services.discussion_lock(moderator=m, paper=p, reason="X."),
    "paper_edit": lambda m, p: services.paper_edit(
        moderator=m, paper=p, fields={"title": "Other"}, reason="X."
    ),
    "paper_remove_from_day": lambda m, p: services.paper_remove_from_day(
        moderator=m, paper=p, reason="X."
    ),
    "flags_dismiss": lambda m, p: services.flags_dismiss(moderator=m, item=p),
}


@pytest.mark.parametrize("name", PAPER_ACTIONS)
def test_a_moderator_does_not_act_on_a_paper_they_are_an_approved_author_of(moderator, name):
    paper = make_paper(authors=["Ada Lovelace", "Alan Turing"])
    make_entry(day=timezone.localdate(), paper=paper, submitted_by=make_member())
    services.flag_create(user=make_member(), item=paper, reason=Flag.Reason.SPAM)
    claim = author_claim_create(user=moderator, authorship=paper.authorships.first())
    author_claim_approve(claim=claim, moderator=make_moderator())

    assert_refused(lambda: PAPER_ACTIONS[name](moderator, paper))
    PAPER_ACTIONS[name](make_moderator(), paper)  # another moderator may
    assert ModerationAction.objects.count() == 1


def test_a_pending_or_rejected_claim_does_not_make_a_moderator_an_author(moderator):
    paper = make_paper(authors=["Ada Lovelace"])
    author_claim_create(user=moderator, authorship=paper.authorships.first())

    services.discussion_lock(moderator=moderator, paper=paper, reason="Flame war.")


# --- Moderators and staff accounts ------------------------------------------------------------

SANCTIONS = {
    "user_warn": lambda m, u: services.user_warn(moderator=m, user=u, reason="Be kind."),
    "user_suspend": lambda m, u: services.user_suspend(moderator=m, user=u, days=3, reason="X."),
    "user_ban": lambda m, u: services.user_ban(moderator=m, user=u, reason="Spam."),
}


def sanction(name: str, moderator: User, user: User):
    return SANCTIONS[name](moderator, user)


@pytest.mark.parametrize(
    "target",
    ["moderator", "staff", "superuser"],
)
@pytest.mark.parametrize("name", SANCTIONS)
def test_a_moderator_cannot_sanction_a_moderator_or_staff_but_staff_can(moderator, name, target):
    user = {
        "moderator": make_moderator,
        "staff": lambda: make_user(is_staff=True),
        "superuser": lambda: make_user(is_superuser=True),
    }[target]()

    assert_refused(lambda: sanction(name, moderator, user))

    staff = verify_for_log_in(make_user(is_staff=True))
    sanction(name, staff, user)
    assert ModerationAction.objects.get().moderator == staff


def test_a_moderator_cannot_lift_or_extend_a_sanction_staff_put_on_another_moderator(moderator):
    """A suspended or banned moderator is out of good standing, but still a moderator's
    account: only staff decide about it."""
    staff = verify_for_log_in(make_user(is_staff=True))
    colleague = make_moderator()
    services.user_suspend(moderator=staff, user=colleague, days=3, reason="Cool down.")
    ModerationAction.objects.all().delete()
    Notification.objects.all().delete()
    colleague = User.objects.get(pk=colleague.pk)

    assert_refused(lambda: services.user_unban(moderator=moderator, user=colleague, reason="Ok."))
    assert_refused(lambda: sanction("user_ban", moderator, colleague))
    assert_refused(lambda: sanction("user_suspend", moderator, colleague))
    colleague.refresh_from_db()
    assert colleague.is_suspended

    services.user_unban(moderator=staff, user=colleague, reason="Ok.")
    colleague.refresh_from_db()
    assert not colleague.is_suspended


def test_a_moderator_may_sanction_a_former_moderator_removed_from_the_group(moderator):
    former = make_moderator()
    former.groups.clear()
    former = User.objects.get(pk=former.pk)

    services.user_warn(moderator=moderator, user=former, reason="Be kind.")


# --- The moderators group -------------------------------------------------------------------


def test_the_powers_are_exactly_the_model_permissions():
    codenames = [codename for codename, _label in ModerationAction._meta.permissions]
    assert sorted(codenames) == sorted(Power)
    assert len(set(codenames)) == len(codenames)


def _migration():
    return importlib.import_module("apps.moderation.migrations.0002_moderators_group_permissions")


def test_the_migration_grants_the_group_exactly_the_permissions_services_check():
    migration = _migration()
    assert sorted(migration.PERMISSIONS) == sorted(Power)
    Group.objects.filter(name=MODERATORS_GROUP).delete()
    Permission.objects.filter(content_type__app_label="moderation").delete()
    # The models as the migration sees them, as when `migrate` runs it.
    state = MigrationLoader(connection).project_state(
        ("moderation", "0002_moderators_group_permissions")
    )

    migration.grant(state.apps, None)

    group = Group.objects.get(name=MODERATORS_GROUP)
    granted = {(p.content_type.app_label, p.codename) for p in group.permissions.all()}
    assert granted == {("moderation", codename) for codename in Power}
    member = make_member()
    member.groups.add(group)
    assert moderator_powers(User.objects.get(pk=member.pk)) == set(Power)


def test_the_migration_grant_also_runs_on_the_real_apps_registry():
    from django.apps import apps

    Group.objects.filter(name=MODERATORS_GROUP).delete()
    app_config = apps.get_app_config("moderation")
    models_module = app_config.models_module

    _migration().grant(apps, None)

    assert app_config.models_module is models_module  # restored: later flushes still work

    codenames = Group.objects.get(name=MODERATORS_GROUP).permissions.values_list(
        "codename", flat=True
    )
    assert sorted(codenames) == sorted(Power)


def test_the_migration_can_run_again_and_revoke_empties_the_group():
    migration = _migration()
    state = MigrationLoader(connection).project_state(
        ("moderation", "0002_moderators_group_permissions")
    )
    migration.grant(state.apps, None)
    migration.grant(state.apps, None)
    assert Group.objects.get(name=MODERATORS_GROUP).permissions.count() == len(Power)

    migration.revoke(state.apps, None)
    assert not Group.objects.get(name=MODERATORS_GROUP).permissions.exists()


def test_moderator_can_and_user_is_moderator_agree_for_the_group(moderator, member):
    assert user_is_moderator(moderator)
    assert all(moderator_can(moderator, p) for p in Power)
    assert not user_is_moderator(member)
    assert not moderator_powers(member)
    assert not moderator_powers(AnonymousUser())
    assert moderator_powers(None) == set()
