"""The moderators' area at /moderation/: who may open each page and post each decision, every
queue action through its view (htmx in place and plain POST), refusals (self-moderation, bad
input) changing nothing, and each queue read in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.moderation.permissions import Power
from apps.moderation.selectors import FLAGS_LISTED
from apps.papers.models import AuthorClaim, DailyEntry
from apps.papers.services import author_claim_ask_again, author_claim_create
from apps.submissions.models import Submission
from apps.submissions.services import long_date
from apps.users.models import User
from tests.e2e import conftest as e2e
from tests.factories import make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_member, make_moderator
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db

Action = ModerationAction.Action
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


# --- Builders -----------------------------------------------------------------------------


def pending_submission(submitter: User | None = None, **paper_fields) -> Submission:
    paper = make_paper(**paper_fields)
    return make_submission(
        user=submitter or make_member(), paper=paper, status=Submission.Status.PENDING
    )


def pending_claim(user: User | None = None, *, evidence: str = "") -> AuthorClaim:
    paper = make_paper()
    authorship = paper.authorships.order_by("position").last()
    return author_claim_create(user=user or make_member(), authorship=authorship, evidence=evidence)


def flagged_comment(
    author: User | None = None, *, flags: int = 1, reason: str = "spam", text: str = ""
) -> Comment:
    comment = comment_create(
        author=author or make_member(), paper=make_paper(), body="Buy cheap watches here."
    )
    for _ in range(flags):
        services.flag_create(user=make_member(), item=comment, reason=reason, text=text)
    comment.refresh_from_db()
    return comment


def flagged_paper(*, flags: int = 1, reason: str = "off_topic"):
    paper = make_paper()
    for _ in range(flags):
        services.flag_create(user=make_member(), item=paper, reason=reason)
    return paper


def suspended(user: User, days: int = 3) -> User:
    user.suspended_until = timezone.now() + dt.timedelta(days=days)
    user.save(update_fields=["suspended_until"])
    return user


def login(client, user: User | None):
    if user is not None:
        client.force_login(user)
    return client


def give_powers(user: User, *powers: Power) -> User:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="moderation", codename__in=powers)
    )
    return User.objects.get(pk=user.pk)  # no cached permissions


# --- Who may open what --------------------------------------------------------------------

PEOPLE = [
    "anonymous",
    "member",
    "suspended member",
    "banned member",
    "moderator",
    "staff",
    "suspended moderator",
    "banned moderator",
]


def person(kind: str) -> User | None:
    if kind == "anonymous":
        return None
    if kind == "staff":
        return verify_for_log_in(make_user("staffer", is_staff=True))
    user = make_moderator("amod") if "moderator" in kind else make_member("amember")
    if kind.startswith("suspended"):
        suspended(user)
    return user


def after_login(client, kind: str, user: User | None):
    """Log in, then ban if the kind says so: a ban ends the session at the next request."""
    login(client, user)
    if kind.startswith("banned"):
        user.is_banned = True
        user.save(update_fields=["is_banned"])
    return client


# Expected answer to a GET of an area page.
GET_STATUS = {
    "anonymous": 302,
    "member": 403,
    "suspended member": 403,
    "banned member": 302,
    "moderator": 200,
    "staff": 200,
    "suspended moderator": 403,
    "banned moderator": 302,
}


@pytest.fixture
def target():
    return make_member("target")


AREA_PAGES = [
    "moderation:home",
    "moderation:submissions",
    "moderation:flags",
    "moderation:claims",
    "moderation:users",
    "moderation:user",
]


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize("name", AREA_PAGES)
def test_who_may_open_each_area_page(client, kind, name, target):
    url = reverse(name, args=["target"] if name == "moderation:user" else [])
    after_login(client, kind, person(kind))

    response = client.get(url)

    assert response.status_code == GET_STATUS[kind]
    if response.status_code == 302:
        assert response["Location"] == f"{reverse('account_login')}?next={url.replace('/', '%2F')}"
    if response.status_code == 403:
        assert "This page is for moderators" in response.content.decode()


@dataclass
class Queue:
    """One item in each queue and an account for each sanction, with the URL that decides it."""

    approve: Submission
    reject: Submission
    comment: Comment
    claim_yes: AuthorClaim
    claim_no: AuthorClaim
    banned: User

    def posts(self) -> dict[str, tuple[str, dict]]:
        reason = {"reason": "Because of the rules.", "note": "private"}
        return {
            "submission_approve": (
                reverse("moderation:submission_approve", args=[self.approve.pk]),
                {},
            ),
            "submission_reject": (
                reverse("moderation:submission_reject", args=[self.reject.pk]),
                reason,
            ),
            "flags_dismiss": (
                reverse("moderation:flags_dismiss", args=["comment", self.comment.pk]),
                {},
            ),
            "claim_approve": (reverse("moderation:claim_approve", args=[self.claim_yes.pk]), {}),
            "claim_reject": (reverse("moderation:claim_reject", args=[self.claim_no.pk]), reason),
            "user_warn": (reverse("moderation:user_warn", args=["target"]), reason),
            "user_suspend": (
                reverse("moderation:user_suspend", args=["target"]),
                {**reason, "days": "3"},
            ),
            "user_ban": (reverse("moderation:user_ban", args=["target"]), reason),
            "user_unban": (reverse("moderation:user_unban", args=["banned"]), reason),
        }


@pytest.fixture
def queue(target) -> Queue:
    banned = make_member("banned")
    banned.is_banned = True
    banned.save(update_fields=["is_banned"])
    return Queue(
        approve=pending_submission(),
        reject=pending_submission(),
        comment=flagged_comment(),
        claim_yes=pending_claim(),
        claim_no=pending_claim(),
        banned=banned,
    )


ACTIONS = [
    "submission_approve",
    "submission_reject",
    "flags_dismiss",
    "claim_approve",
    "claim_reject",
    "user_warn",
    "user_suspend",
    "user_ban",
    "user_unban",
]
ALLOWED = {"moderator", "staff"}


@pytest.mark.parametrize("kind", PEOPLE)
@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_post_each_decision(client, kind, action, queue):
    url, data = queue.posts()[action]
    after_login(client, kind, person(kind))

    response = client.post(url, data)

    entries = ModerationAction.objects.filter(action=action)
    if kind in ALLOWED:
        assert response.status_code == 302, response.content.decode()[:500]
        assert entries.count() == 1
    else:
        assert response.status_code == (302 if GET_STATUS[kind] == 302 else 403)
        if response.status_code == 302:  # to log in, coming back to the queue
            assert response["Location"].startswith(reverse("account_login"))
        assert not entries.exists()


def test_decisions_are_posts_only(client, moderator, queue):
    client.force_login(moderator)
    for url, _ in queue.posts().values():
        assert client.get(url).status_code == 405


def test_an_anonymous_htmx_post_is_sent_to_log_in_as_a_whole_page(client, queue):
    url, _ = queue.posts()["submission_approve"]
    response = client.post(url, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert Submission.objects.get(pk=queue.approve.pk).status == Submission.Status.PENDING


def test_each_queue_needs_its_own_power_and_only_its_tabs_show(client, queue):
    reviewer = give_powers(make_member("reviewer"), Power.REVIEW_SUBMISSIONS)
    client.force_login(reviewer)

    home = client.get(reverse("moderation:home")).content.decode()
    assert client.get(reverse("moderation:submissions")).status_code == 200
    for name in ("flags", "claims", "users"):
        response = client.get(reverse(f"moderation:{name}"))
        assert response.status_code == 403, name
        assert "does not include this queue" in response.content.decode()
    url, data = queue.posts()["flags_dismiss"]
    assert client.post(url, data).status_code == 403
    assert Flag.objects.filter(resolution="").count() == 1

    assert 'id="queue-count-submissions">2<' in home
    for hidden in ("moderation:flags", "moderation:claims", "moderation:users"):
        assert f'href="{reverse(hidden)}"' not in home
    assert f'href="{reverse("moderation:log")}"' in home


def test_the_user_menu_links_to_the_area_for_moderators_only(client, moderator, member):
    client.force_login(member)
    assert reverse("moderation:home") not in client.get("/papers").content.decode()
    client.force_login(moderator)
    assert f'href="{reverse("moderation:home")}"' in client.get("/papers").content.decode()


def test_the_dashboard_counts_each_queue(client, moderator):
    pending_submission()
    pending_submission()
    flagged_comment(flags=2)
    flagged_paper()
    pending_claim()
    client.force_login(moderator)

    html = client.get(reverse("moderation:home")).content.decode()

    assert "2</strong> submissions to review" in html
    assert "2</strong> flagged items" in html
    assert "1</strong> author claim to review" in html
    assert 'src="/static/js/moderation.js"' in html


# --- Submissions --------------------------------------------------------------------------


def test_the_submissions_queue_lists_pending_ones_oldest_first(client, moderator):
    first = pending_submission(make_member("early"), title="First things", abstract="Abs one.")
    second = pending_submission(make_member("late"), title="Second things")
    Submission.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    make_submission(user=make_member(), status=Submission.Status.PUBLISHED)
    client.force_login(moderator)

    html = client.get(reverse("moderation:submissions")).content.decode()

    assert html.count('class="queue-item"') == 2
    assert html.index("First things") < html.index("Second things")
    assert "@early" in html
    assert "@late" in html
    assert "Abs one." in html
    assert f'id="submission-{second.pk}"' in html
    assert f'max="{timezone.localdate():%Y-%m-%d}"' in html
    assert "@example.org" not in html


def test_approving_with_htmx_answers_in_place(client, moderator):
    submission = pending_submission(make_member("sam"))
    pending_submission()
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:submission_approve", args=[submission.pk]),
        {"day": f"{timezone.localdate():%Y-%m-%d}"},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    today = long_date(timezone.localdate())
    assert f"Approved {submission.arxiv_id} for {today}." in html
    assert f'href="{submission.paper.get_absolute_url()}">view</a>' in html
    assert 'id="queue-count-submissions" hx-swap-oob="true">1<' in html
    submission.refresh_from_db()
    assert (submission.status, submission.decided_by) == (Submission.Status.PUBLISHED, moderator)
    assert DailyEntry.objects.get(paper=submission.paper).day == timezone.localdate()
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.moderator, entry.target_id) == (
        Action.SUBMISSION_APPROVE,
        moderator,
        submission.pk,
    )


def test_approving_without_js_onto_an_earlier_day_redirects_back_with_a_message(client, moderator):
    submission = pending_submission()
    day = timezone.localdate() - dt.timedelta(days=3)
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:submission_approve", args=[submission.pk]),
        {"day": f"{day:%Y-%m-%d}", "note": "checked the PDF"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("moderation:submissions"), 302)]
    assert f"Approved {submission.arxiv_id} for {long_date(day)}." in response.content.decode()
    assert DailyEntry.objects.get(paper=submission.paper).day == day
    assert ModerationAction.objects.get().note == "checked the PDF"


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-13-45", "Choose a day in the calendar"),
        ("tomorrow", "Choose a day in the calendar"),
        ("future", "Choose today or an earlier day."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_or_future_day_changes_nothing(client, moderator, day, message, htmx):
    submission = pending_submission()
    if day == "future":
        day = f"{timezone.localdate() + dt.timedelta(days=1):%Y-%m-%d}"
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:submission_approve", args=[submission.pk]),
        {"day": day},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == (422 if htmx else 400)
    html = response.content.decode()
    assert message in html
    assert f'id="submission-{submission.pk}"' in html
    assert ("<html" in html) is not htmx  # the item alone, or the queue page around it
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PENDING
    assert not DailyEntry.objects.exists()
    assert not ModerationAction.objects.exists()


def test_rejecting_with_htmx_tells_the_submitter_and_logs_the_reason(client, moderator):
    submission = pending_submission(make_member("sam"))
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:submission_reject", args=[submission.pk]),
        {"reason": "Not a research paper.", "note": "looks like an ad"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert f"Rejected {submission.arxiv_id}" in response.content.decode()
    assert 'id="queue-count-submissions" hx-swap-oob="true">0<' in response.content.decode()
    submission.refresh_from_db()
    assert (submission.status, submission.message) == (
        Submission.Status.REJECTED,
        "Not a research paper.",
    )
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.reason, entry.note, entry.subject_user) == (
        Action.SUBMISSION_REJECT,
        "Not a research paper.",
        "looks like an ad",
        submission.submitted_by,
    )


def test_rejecting_without_js_redirects_back(client, moderator):
    submission = pending_submission()
    client.force_login(moderator)
    response = client.post(
        reverse("moderation:submission_reject", args=[submission.pk]), {"reason": "Spam."}
    )
    assert response.status_code == 302
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.REJECTED


@pytest.mark.parametrize("htmx", [True, False])
def test_rejecting_without_a_reason_changes_nothing(client, moderator, htmx):
    submission = pending_submission()
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:submission_reject", args=[submission.pk]),
        {"reason": "   ", "note": "kept for the retry"},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == (422 if htmx else 400)
    html = response.content.decode()
    assert "Give a reason" in html
    assert "kept for the retry" in html  # what was typed is kept
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PENDING
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("action", ["submission_approve", "submission_reject"])
@pytest.mark.parametrize("htmx", [True, False])
def test_a_moderator_cannot_decide_their_own_submission(client, moderator, action, htmx):
    submission = pending_submission(moderator)
    client.force_login(moderator)

    response = client.post(
        reverse(f"moderation:{action}", args=[submission.pk]),
        {"reason": "Mine."},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == 403
    assert "You cannot moderate your own submission" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == Submission.Status.PENDING
    assert not ModerationAction.objects.exists()
    assert not DailyEntry.objects.exists()


def test_a_decided_submission_cannot_be_decided_again(client, moderator):
    submission = pending_submission()
    client.force_login(moderator)
    url = reverse("moderation:submission_approve", args=[submission.pk])
    client.post(url)

    response = client.post(url, headers=HTMX)

    assert response.status_code == 422
    assert "not pending review" in response.content.decode()
    assert ModerationAction.objects.count() == 1


def test_an_unknown_submission_is_a_404(client, moderator):
    client.force_login(moderator)
    assert client.post(reverse("moderation:submission_approve", args=[999999])).status_code == 404
    assert client.post(reverse("moderation:submission_reject", args=[999999])).status_code == 404


# --- Flags --------------------------------------------------------------------------------


def test_the_flags_queue_groups_flags_per_item_most_flagged_first(client, moderator):
    paper = flagged_paper(flags=1)
    comment = flagged_comment(make_member("loud"), flags=3)  # the threshold hides it
    services.flag_create(
        user=make_member("detailer"), item=comment, reason="other", text="Same text in 5 threads"
    )
    client.force_login(moderator)

    html = client.get(reverse("moderation:flags")).content.decode()

    assert html.index(f'id="flags-comment-{comment.pk}"') < html.index(
        f'id="flags-paper-{paper.pk}"'
    )
    assert "4 open flags" in html
    assert "Spam \u00d73, Other \u00d71" in html
    assert "1 open flag</strong>: Off-topic \u00d71" in html
    assert "Same text in 5 threads" in html
    assert "@detailer" in html
    # Hidden from everyone else, the text is shown to moderators, with its state.
    assert comment.visibility == Comment.Visibility.FLAGGED
    assert "Buy cheap watches here." in html
    assert "Hidden pending review" in html
    assert "@loud" in html
    # Acting: the comment's moderation URL, and the paper's tools.
    assert f'hx-post="{reverse("moderation:comment_hide", args=[comment.pk])}"' in html
    assert reverse("moderation:paper_edit", args=[paper.arxiv_id]) in html
    assert reverse("moderation:paper_merge", args=[paper.arxiv_id]) in html
    assert reverse("moderation:discussion_lock", args=[paper.arxiv_id]) in html
    assert "@example.org" not in html


def test_a_pile_on_lists_its_first_flaggers_and_counts_them_all(client, moderator, settings):
    settings.FLAG_HIDE_THRESHOLD = 100
    paper = flagged_paper(flags=FLAGS_LISTED + 2)
    client.force_login(moderator)

    html = client.get(reverse("moderation:flags")).content.decode()

    item = html[html.index(f'id="flags-paper-{paper.pk}"') :]
    assert f"{FLAGS_LISTED + 2} open flags" in item
    assert item.count('<li><a href="/users/') == FLAGS_LISTED
    assert "and 2 more" in item


def test_dismissing_a_comments_flags_with_htmx_shows_it_again(client, moderator):
    comment = flagged_comment(flags=3)
    flagged_paper()
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:flags_dismiss", args=["comment", comment.pk]),
        {"note": "banter, not spam"},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dismissed 3 flags on this comment." in html
    assert 'id="queue-count-flags" hx-swap-oob="true">1<' in html
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    assert not Flag.objects.filter(comment=comment, resolution="").exists()
    entry = ModerationAction.objects.get(action=Action.FLAGS_DISMISS)
    assert (entry.moderator, entry.target_type, entry.note) == (
        moderator,
        "comment",
        "banter, not spam",
    )


def test_dismissing_a_papers_flags_without_js_redirects_back(client, moderator):
    paper = flagged_paper(flags=2)
    client.force_login(moderator)

    response = client.post(reverse("moderation:flags_dismiss", args=["paper", paper.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:flags")
    assert set(Flag.objects.values_list("resolution", flat=True)) == {"dismissed"}


def test_flags_urls_refuse_bad_kinds_unknown_items_and_items_without_flags(client, moderator):
    comment = flagged_comment()
    client.force_login(moderator)
    dismiss = "moderation:flags_dismiss"

    assert client.post(reverse(dismiss, args=["user", comment.pk])).status_code == 404
    assert client.post(reverse(dismiss, args=["comment", 999999])).status_code == 404
    assert client.post(reverse(dismiss, args=["paper", comment.paper.pk])).status_code == 400
    response = client.post(reverse(dismiss, args=["paper", comment.paper.pk]), headers=HTMX)
    assert response.status_code == 422
    assert "There are no open flags on this item." in response.content.decode()
    assert Flag.objects.get().resolution == ""
    assert not ModerationAction.objects.exists()


def test_a_moderator_cannot_dismiss_flags_on_their_own_comment(client, moderator):
    comment = flagged_comment(moderator, flags=3)
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:flags_dismiss", args=["comment", comment.pk]), headers=HTMX
    )

    assert response.status_code == 403
    assert "You cannot moderate your own comment" in response.content.decode()
    assert Comment.objects.get(pk=comment.pk).visibility == Comment.Visibility.FLAGGED
    assert Flag.objects.filter(resolution="").count() == 3
    assert ModerationAction.objects.filter(moderator=moderator).count() == 0


# --- Author claims ------------------------------------------------------------------------


def test_the_claims_queue_shows_the_claim_evidence_and_the_claimants_other_claims(
    client, moderator
):
    claimant = make_member("claimant")
    claim = pending_claim(claimant, evidence="My page: https://uni.example/~me")
    first = pending_claim(claimant)
    services.claim_reject(moderator=make_moderator(), claim=first, reason="No evidence.")
    author_claim_ask_again(user=claimant, claim=first, evidence="ORCID 0000-0001")
    client.force_login(moderator)

    html = client.get(reverse("moderation:claims")).content.decode()

    assert html.count('class="queue-item"') == 2
    assert "@claimant</a> claims to be Alan Turing" in html
    assert "Author 2 of" in html
    assert "My page: https://uni.example/~me" in html
    assert "ORCID 0000-0001" in html
    assert "second ask" in html
    assert "Rejected the first time because: No evidence." in html
    assert "1 other claim by this user" in html
    assert f'id="claim-{claim.pk}"' in html


def test_approving_a_claim_with_htmx_closes_the_other_claims_on_that_author(client, moderator):
    claim = pending_claim(make_member("real"))
    rival = author_claim_create(user=make_member("rival"), authorship=claim.authorship)
    client.force_login(moderator)

    response = client.post(reverse("moderation:claim_approve", args=[claim.pk]), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Approved @real as Alan Turing" in html
    assert 'id="queue-count-claims" hx-swap-oob="true">0<' in html
    assert f'id="claim-{rival.pk}" hx-swap-oob="true"' in html
    assert AuthorClaim.objects.get(pk=claim.pk).status == AuthorClaim.Status.APPROVED
    assert AuthorClaim.objects.get(pk=rival.pk).status == AuthorClaim.Status.REJECTED
    assert ModerationAction.objects.get().action == Action.CLAIM_APPROVE


@pytest.mark.parametrize("htmx", [True, False])
def test_rejecting_a_claim_needs_a_reason(client, moderator, htmx):
    claim = pending_claim()
    client.force_login(moderator)
    url = reverse("moderation:claim_reject", args=[claim.pk])
    headers = HTMX if htmx else {}

    refused = client.post(url, {"reason": ""}, headers=headers)
    assert refused.status_code == (422 if htmx else 400)
    assert "Give a reason" in refused.content.decode()
    assert AuthorClaim.objects.get(pk=claim.pk).status == AuthorClaim.Status.PENDING

    done = client.post(url, {"reason": "Another Alan Turing."}, headers=headers)
    assert done.status_code == (200 if htmx else 302)
    claim.refresh_from_db()
    assert (claim.status, claim.reason) == (AuthorClaim.Status.REJECTED, "Another Alan Turing.")
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.reason) == (Action.CLAIM_REJECT, "Another Alan Turing.")


def test_a_moderator_cannot_decide_their_own_claim(client, moderator):
    claim = pending_claim(moderator)
    client.force_login(moderator)

    response = client.post(reverse("moderation:claim_approve", args=[claim.pk]), headers=HTMX)

    assert response.status_code == 403
    assert "You cannot moderate your own author claim" in response.content.decode()
    assert AuthorClaim.objects.get(pk=claim.pk).status == AuthorClaim.Status.PENDING
    assert not ModerationAction.objects.exists()


# --- Users --------------------------------------------------------------------------------


def test_users_are_found_by_handle_prefix_in_any_case_without_emails(client, moderator):
    make_member("Alice")
    make_member("alicia")
    make_member("bob")
    banned = make_member("mallory")
    banned.is_banned = True
    banned.save(update_fields=["is_banned"])
    suspended(make_member("trent"))
    client.force_login(moderator)

    found = client.get(reverse("moderation:users"), {"q": "ALI"}).content.decode()
    assert "@Alice" in found
    assert "@alicia" in found
    assert "@bob" not in found

    restricted = client.get(reverse("moderation:users")).content.decode()
    assert "@mallory" in restricted
    assert "banned" in restricted
    assert "@trent" in restricted
    assert "suspended until" in restricted
    assert "@alicia" not in restricted

    moderators = client.get(reverse("moderation:users"), {"q": "mo"}).content.decode()
    assert "@mod" in moderators
    assert ">moderator<" in moderators
    for html in (found, restricted, moderators):
        assert "@example.org" not in html


def test_a_users_page_shows_counts_state_and_history_with_private_notes(client, moderator):
    target = make_member("target")
    comment = flagged_comment(target, flags=2)
    make_submission(user=target, status=Submission.Status.PENDING)
    other = make_moderator("other")
    services.user_warn(moderator=other, user=target, reason="Be kind.", note="third report")
    client.force_login(moderator)

    html = client.get(reverse("moderation:user", args=["TARGET"])).content.decode()

    assert "<dt>Comments</dt><dd>1</dd>" in html
    assert "<dt>Submissions</dt><dd>1</dd>" in html
    assert "2 on comments, 0 on papers" in html
    assert "in good standing" in html
    assert "@other" in html
    assert "warned a user" in html
    assert "Be kind." in html
    assert "third report" in html
    assert "@example.org" not in html
    assert comment.author == target


def test_an_unknown_user_is_a_404(client, moderator):
    client.force_login(moderator)
    assert client.get(reverse("moderation:user", args=["nobody"])).status_code == 404
    url = reverse("moderation:user_ban", args=["nobody"])
    assert client.post(url, {"reason": "x"}).status_code == 404


def test_warning_with_htmx_answers_with_the_panel(client, moderator, target):
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:user_warn", args=["target"]),
        {"reason": "Stay on topic.", "note": "second time"},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="user-panel"')  # the panel alone, in place
    assert "Warned @target" in html
    assert "second time" in html
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.subject_user, entry.reason) == (
        Action.USER_WARN,
        target,
        "Stay on topic.",
    )


def test_suspending_banning_and_unbanning_through_the_views(client, moderator, target):
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:user_suspend", args=["target"]),
        {"days": "5", "reason": "Cool down."},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Suspended @target for 5 days." in response.content.decode()
    target.refresh_from_db()
    assert target.is_suspended
    assert target.suspended_until - timezone.now() > dt.timedelta(days=4, hours=23)

    response = client.post(reverse("moderation:user_ban", args=["target"]), {"reason": "Spam."})
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:user", args=["target"])
    target.refresh_from_db()
    assert target.is_banned

    response = client.post(
        reverse("moderation:user_unban", args=["target"]), {"reason": "Appeal accepted."}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_banned
    assert not target.is_suspended
    assert list(ModerationAction.objects.order_by("pk").values_list("action", flat=True)) == [
        Action.USER_SUSPEND,
        Action.USER_BAN,
        Action.USER_UNBAN,
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "0", "reason": "x"}, "Suspend for 1 to 365 days."),
        ({"days": "400", "reason": "x"}, "a ban is for longer"),
        ({"days": "a week", "reason": "x"}, "whole number"),
        ({"days": "3", "reason": ""}, "Give a reason"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_bad_suspension_changes_nothing(client, moderator, target, data, message, htmx):
    client.force_login(moderator)

    response = client.post(
        reverse("moderation:user_suspend", args=["target"]), data, headers=HTMX if htmx else {}
    )

    assert response.status_code == (422 if htmx else 400)
    assert message in response.content.decode()
    target.refresh_from_db()
    assert target.suspended_until is None
    assert not ModerationAction.objects.exists()


def test_a_moderator_cannot_sanction_another_moderator_but_staff_can(client, moderator, staff):
    make_moderator("peer")
    client.force_login(moderator)

    page = client.get(reverse("moderation:user", args=["peer"])).content.decode()
    assert "only staff can act on this account" in page
    response = client.post(
        reverse("moderation:user_ban", args=["peer"]), {"reason": "Abuse."}, headers=HTMX
    )
    assert response.status_code == 403
    assert "Only staff can act on a moderator" in response.content.decode()
    assert not User.objects.get(username="peer").is_banned
    assert not ModerationAction.objects.exists()

    client.force_login(staff)
    response = client.post(reverse("moderation:user_ban", args=["peer"]), {"reason": "Abuse."})
    assert response.status_code == 302
    assert User.objects.get(username="peer").is_banned


def test_a_moderator_cannot_sanction_themselves(client, moderator):
    client.force_login(moderator)
    response = client.post(reverse("moderation:user_warn", args=["mod"]), {"reason": "Me."})
    assert response.status_code == 403
    assert "You cannot moderate your own account" in response.content.decode()
    assert not ModerationAction.objects.exists()


# --- Queries ------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _more_submissions(count: int) -> None:
    for _ in range(count):
        pending_submission()


def _more_flags(count: int) -> None:
    for index in range(count):
        if index % 2:
            flagged_paper(flags=2, reason="spam")
        else:
            flagged_comment(flags=2, reason="other", text="Off the rails")


def _more_claims(count: int) -> None:
    for _ in range(count):
        pending_claim(evidence="see my page")


def _more_users(count: int) -> None:
    for index in range(count):
        user = make_member(f"zed{User.objects.count()}")
        if index % 2:
            suspended(user)


def _more_history(count: int) -> None:
    target = User.objects.get(username="target")
    warner = make_moderator(f"warner{User.objects.count()}")
    for index in range(count):
        services.user_warn(moderator=warner, user=target, reason=f"Warning {index}.")


@pytest.mark.parametrize(
    ("url", "more"),
    [
        (reverse("moderation:submissions"), _more_submissions),
        (reverse("moderation:flags"), _more_flags),
        (reverse("moderation:claims"), _more_claims),
        (reverse("moderation:users") + "?q=zed", _more_users),
        (reverse("moderation:user", args=["target"]), _more_history),
        (reverse("moderation:home"), _more_submissions),
    ],
)
def test_each_area_page_reads_in_a_constant_number_of_queries(
    client, moderator, target, url, more, django_assert_max_num_queries
):
    more(1)
    client.force_login(moderator)
    few = _queries(client, url)

    more(12)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200


# --- Keyboard shortcuts, in a real browser --------------------------------------------------

browser = e2e.browser  # the browser fixtures of tests/e2e
page = e2e.page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_shortcuts_move_write_and_approve_but_leave_typing_alone(live_server, page):
    first = pending_submission(title="First in line")
    second = pending_submission(title="Second in line")
    Submission.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    e2e.log_in(page, live_server, make_moderator("keys"))
    page.goto(f"{live_server.url}{reverse('moderation:submissions')}")

    def focused() -> str:
        return page.evaluate("document.activeElement.id")

    page.keyboard.press("?")
    assert page.is_visible("#shortcuts-help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#shortcuts-help")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused() == f"submission-{second.pk}"
    page.keyboard.press("k")
    assert focused() == f"submission-{first.pk}"
    page.keyboard.press("r")
    assert focused() == f"reason-submission-{first.pk}"
    page.keyboard.type("a dup")  # "a" and "d" typed into the field are only text
    page.keyboard.press("Escape")
    assert focused() == f"submission-{first.pk}"
    assert Submission.objects.get(pk=first.pk).status == Submission.Status.PENDING

    page.keyboard.press("a")
    page.wait_for_selector(f"#submission-{first.pk}.is-done")

    assert "Approved" in page.text_content(f"#submission-{first.pk}")
    assert page.text_content("#queue-count-submissions") == "1"
    assert focused() == f"submission-{second.pk}"  # the next one to review
    assert Submission.objects.get(pk=first.pk).status == Submission.Status.PUBLISHED
    assert Submission.objects.get(pk=second.pk).status == Submission.Status.PENDING
