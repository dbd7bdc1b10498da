"""Moderation where the content is, through the views: readers flag a paper or a comment in
place; moderators remove and restore comments, lock discussions, edit papers and take them off
their day from the paper's page; and who may open each of these URLs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create, comment_delete
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.papers.services import author_claim_create
from tests.factories import make_entry, make_paper, make_user, verify_for_log_in
from tests.moderation.conftest import make_member, make_moderator, make_newcomer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
Action = ModerationAction.Action
THANKS = "Flagged. Thanks — a moderator will look."


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def author(db):
    return make_member("author")


@pytest.fixture
def paper(author):
    paper = make_paper(arxiv_id="2410.09692", title="Sparse attention for transformers")
    make_entry(day=dt.date(2024, 10, 14), paper=paper, submitted_by=author)
    return paper


@pytest.fixture
def comment(paper, author):
    return comment_create(author=author, paper=paper, body="An unkind remark")


def text(response) -> str:
    return response.content.decode()


def flag_url(item) -> str:
    if isinstance(item, Comment):
        return reverse("moderation:flag_comment", args=[item.pk])
    return reverse("moderation:flag_paper", args=[item.arxiv_id])


# --- Flags --------------------------------------------------------------------------------


def test_the_flag_link_opens_the_reasons_valid_for_a_comment_in_place(client, member, comment):
    client.force_login(member)
    assert f'hx-get="{flag_url(comment)}"' in text(client.get(comment.paper.get_absolute_url()))

    response = client.get(flag_url(comment), **HTMX)

    html = text(response)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="flag-comment-{comment.pk}"')
    for label in ("Off-topic", "Unkind", "Spam", "Troll", "Me-too", "Other"):
        assert f" {label}</label>" in html
    assert "Wrong metadata" not in html
    assert "<html" not in html


def test_the_paper_flag_offers_the_paper_reasons_and_works_without_js(client, member, paper):
    client.force_login(member)

    page = client.get(flag_url(paper))

    html = text(page)
    assert page.status_code == 200
    assert "<h1>Flag this paper</h1>" in html
    assert " Wrong metadata</label>" in html
    assert " Unkind</label>" not in html
    response = client.post(flag_url(paper), {"reason": "metadata", "text": "Wrong title"})
    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    assert THANKS in text(client.get(response["Location"]))
    flag = Flag.objects.get()
    assert (flag.paper, flag.flagged_by, flag.reason, flag.text) == (
        paper,
        member,
        "metadata",
        "Wrong title",
    )


def test_flag_create_duplicate_and_withdraw_in_place(client, member, comment):
    client.force_login(member)

    created = client.post(flag_url(comment), {"reason": "unkind"}, **HTMX)

    flag = Flag.objects.get()
    assert created.status_code == 200
    assert THANKS in text(created)
    withdraw_url = reverse("moderation:flag_withdraw", args=[flag.pk])
    assert f'hx-post="{withdraw_url}"' in text(created)
    # The thread remembers it: no second "Flag" link, the reader's own flag instead.
    page = text(client.get(comment.paper.get_absolute_url()))
    assert "You flagged this" in page
    assert f'hx-get="{flag_url(comment)}"' not in page

    duplicate = client.post(flag_url(comment), {"reason": "spam"}, **HTMX)
    assert duplicate.status_code == 422
    assert "You already flagged this." in text(duplicate)
    assert Flag.objects.count() == 1

    withdrawn = client.post(withdraw_url, **HTMX)
    assert withdrawn.status_code == 200
    assert f'hx-get="{flag_url(comment)}"' in text(withdrawn)
    assert not Flag.objects.exists()
    assert client.post(withdraw_url, **HTMX).status_code == 404


def test_withdraw_without_js_goes_back_to_the_item(client, member, paper):
    flag = services.flag_create(user=member, item=paper, reason="spam")
    client.force_login(member)

    response = client.post(reverse("moderation:flag_withdraw", args=[flag.pk]))

    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    assert not Flag.objects.exists()


def test_someone_elses_flag_cannot_be_withdrawn_and_stays_private(client, member, comment):
    flag = services.flag_create(user=make_member("other"), item=comment, reason="spam")
    client.force_login(member)

    assert client.post(reverse("moderation:flag_withdraw", args=[flag.pk])).status_code == 404
    page = text(client.get(comment.paper.get_absolute_url()))
    assert "You flagged this" not in page
    assert "other" not in re.sub(r"<[^>]+>", "", page).split()  # the flagger's handle
    assert Flag.objects.filter(pk=flag.pk).exists()


def test_a_reviewed_flag_cannot_be_withdrawn(client, member, moderator, paper):
    flag = services.flag_create(user=member, item=paper, reason="spam")
    services.flags_dismiss(moderator=moderator, item=paper)
    client.force_login(member)

    page = text(client.get(paper.get_absolute_url()))
    assert "You flagged this" in page
    assert reverse("moderation:flag_withdraw", args=[flag.pk]) not in page
    response = client.post(reverse("moderation:flag_withdraw", args=[flag.pk]), **HTMX)
    assert response.status_code == 422
    assert "already reviewed" in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "other"}, "Say what is wrong when you choose “other”."),
        ({"reason": "metadata"}, "Choose one of the listed reasons."),  # a paper reason
        ({}, "Choose a reason."),
        ({"reason": "spam", "text": "x" * 1001}, "at most 1000 characters"),
    ],
)
def test_bad_flag_input_comes_back_on_the_form_with_422(client, member, comment, data, message):
    client.force_login(member)

    response = client.post(flag_url(comment), data, **HTMX)

    assert response.status_code == 422
    assert message in text(response)
    assert 'class="flag-form"' in text(response)
    assert not Flag.objects.exists()


def test_other_with_text_is_accepted(client, member, comment):
    client.force_login(member)
    response = client.post(flag_url(comment), {"reason": "other", "text": "Off by one"}, **HTMX)
    assert response.status_code == 200
    assert Flag.objects.get().text == "Off by one"


# --- Who may flag -------------------------------------------------------------------------


def unverified():
    return make_user("unverified", verified=False)


def suspended():
    return make_member("suspended", suspended_until=timezone.now() + dt.timedelta(days=2))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (unverified, "Verify your email address before flagging."),
        (make_newcomer, "Accounts can flag once they are 3 days old."),
        (suspended, "Log in with an account in good standing to flag."),
    ],
)
def test_who_cannot_flag_is_told_why_with_403(client, settings, comment, make, message):
    settings.FLAG_MIN_ACCOUNT_AGE_DAYS = 3
    client.force_login(make())

    for response in (
        client.get(flag_url(comment), **HTMX),
        client.post(flag_url(comment), {"reason": "spam"}, **HTMX),
        client.post(flag_url(comment), {"reason": "spam"}),
    ):
        assert response.status_code == 403
        assert message in text(response)
    assert not Flag.objects.exists()


def test_own_comment_has_no_flag_link_and_cannot_be_flagged(client, author, comment):
    client.force_login(author)
    assert f'hx-get="{flag_url(comment)}"' not in text(client.get(comment.paper.get_absolute_url()))

    response = client.post(flag_url(comment), {"reason": "spam"}, **HTMX)

    assert response.status_code == 403
    assert "You cannot flag your own comment" in text(response)
    assert not Flag.objects.exists()


def test_the_daily_number_of_flags_is_limited(client, settings, member, paper, author):
    settings.FLAGS_PER_DAY = 2
    comments = [comment_create(author=author, paper=paper, body=f"c{i}") for i in range(3)]
    client.force_login(member)
    for comment in comments[:2]:
        assert client.post(flag_url(comment), {"reason": "spam"}, **HTMX).status_code == 200

    response = client.post(flag_url(comments[2]), {"reason": "spam"}, **HTMX)

    assert response.status_code == 429
    assert "You can flag 2 items a day" in text(response)
    assert Flag.objects.count() == 2


def test_no_flag_link_on_deleted_comments_or_for_visitors(client, member, paper, author):
    parent = comment_create(author=author, paper=paper, body="parent")
    comment_create(author=make_user(), paper=paper, body="reply", parent=parent)
    comment_delete(comment=parent, user=author)

    anonymous = text(client.get(paper.get_absolute_url()))
    assert "/flag" not in anonymous
    client.force_login(member)
    html = text(client.get(paper.get_absolute_url()))
    assert flag_url(parent) not in html
    assert flag_url(paper) in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_visitors_are_sent_to_log_in_to_flag(client, comment, method):
    for url in (flag_url(comment), flag_url(comment.paper)):
        response = getattr(client, method)(url, {"reason": "spam"} if method == "post" else {})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        htmx = getattr(client, method)(url, **HTMX)
        assert htmx["HX-Redirect"].startswith(reverse("account_login"))
    assert not Flag.objects.exists()


# --- Removing and restoring a comment in place ---------------------------------------------


def count_oob(n: int) -> str:
    return f'<span id="discussion-count" class="muted" hx-swap-oob="true">({n})</span>'


def test_moderator_removes_and_restores_a_comment_in_place(client, moderator, comment, author):
    reply = comment_create(author=make_user(), paper=comment.paper, body="A reply")
    client.force_login(moderator)
    hide_url = reverse("moderation:comment_hide", args=[comment.pk])
    page = text(client.get(comment.paper.get_absolute_url()))
    assert f'hx-get="{hide_url}"' in page

    form = client.get(hide_url, **HTMX)
    assert form.status_code == 200
    assert text(form).lstrip().startswith(f'<article id="comment-{comment.pk}"')
    assert 'name="reason"' in text(form)

    no_reason = client.post(hide_url, {"reason": " "}, **HTMX)
    assert no_reason.status_code == 422
    assert "Give a reason" in text(no_reason)
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE

    removed = client.post(hide_url, {"reason": "Personal attack.", "note": "2nd time"}, **HTMX)

    html = text(removed)
    assert removed.status_code == 200
    assert html.lstrip().startswith(f'<article id="comment-{comment.pk}"')
    assert "[removed by a moderator]" in html
    assert '<details class="hidden-comment">' in html  # the moderator still sees the text
    assert "An unkind remark" in html
    assert count_oob(1) in html
    comment.refresh_from_db()
    comment.paper.refresh_from_db()
    assert comment.visibility == Comment.Visibility.REMOVED
    assert comment.paper.comments_count == 1
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.moderator, entry.target_id, entry.reason, entry.note) == (
        Action.COMMENT_HIDE,
        moderator,
        comment.pk,
        "Personal attack.",
        "2nd time",
    )
    notice = Notification.objects.get(recipient=author, kind=Notification.Kind.MODERATION)
    assert "Personal attack." in notice.message
    # Everyone else: the placeholder, the reply kept, no text, no author.
    client.logout()
    public = text(client.get(comment.paper.get_absolute_url()))
    assert "[removed by a moderator]" in public
    assert "An unkind remark" not in public
    assert "A reply" in public
    assert f'id="c-{reply.pk}"' in public

    client.force_login(moderator)
    restore_url = reverse("moderation:comment_restore", args=[comment.pk])
    restored = client.post(restore_url, **HTMX)

    html = text(restored)
    assert restored.status_code == 200
    assert "[removed by a moderator]" not in html
    assert "<p>An unkind remark</p>" in html
    assert count_oob(2) in html
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    assert ModerationAction.objects.filter(action=Action.COMMENT_RESTORE).count() == 1
    again = client.post(restore_url, **HTMX)
    assert again.status_code == 422
    assert "This comment is not hidden." in text(again)


def test_remove_and_restore_without_js_redirect_to_the_comment(client, moderator, comment):
    client.force_login(moderator)
    hide_url = reverse("moderation:comment_hide", args=[comment.pk])

    page = client.get(hide_url)
    assert page.status_code == 200
    assert "<h1>Remove a comment</h1>" in text(page)
    assert client.post(hide_url, {"reason": ""}).status_code == 422

    removed = client.post(hide_url, {"reason": "Spam."})
    assert removed.status_code == 302
    assert removed["Location"] == comment.get_absolute_url()
    restored = client.post(reverse("moderation:comment_restore", args=[comment.pk]))
    assert restored.status_code == 302
    assert restored["Location"] == comment.get_absolute_url()
    assert [entry.action for entry in ModerationAction.objects.order_by("pk")] == [
        Action.COMMENT_HIDE,
        Action.COMMENT_RESTORE,
    ]


def test_a_moderator_cannot_remove_their_own_comment(client, moderator, paper):
    own = comment_create(author=moderator, paper=paper, body="Mine")
    client.force_login(moderator)
    hide_url = reverse("moderation:comment_hide", args=[own.pk])
    assert f'hx-get="{hide_url}"' not in text(client.get(paper.get_absolute_url()))

    response = client.post(hide_url, {"reason": "Testing."}, **HTMX)

    assert response.status_code == 403
    assert "You cannot moderate your own comment" in text(response)
    own.refresh_from_db()
    paper.refresh_from_db()
    assert own.visibility == Comment.Visibility.VISIBLE
    assert paper.comments_count == 1
    assert not ModerationAction.objects.exists()


def test_cancel_gives_the_comment_back_unchanged(client, moderator, comment):
    client.force_login(moderator)
    url = reverse("moderation:comment_hide", args=[comment.pk])
    html = text(client.get(f"{url}?cancel=1", **HTMX))
    assert html.lstrip().startswith(f'<article id="comment-{comment.pk}"')
    assert 'name="reason"' not in html


# --- Locking a discussion -----------------------------------------------------------------


def post_comment(client, paper, body, parent=None, htmx=True):
    data = {"body": body} | ({"parent": parent.pk} if parent else {})
    return client.post(f"/papers/{paper.arxiv_id}/comments", data, **(HTMX if htmx else {}))


def test_lock_refuses_new_comments_and_replies_and_unlock_allows_them(
    client, moderator, member, comment
):
    paper = comment.paper
    client.force_login(moderator)
    lock_url = reverse("moderation:discussion_lock", args=[paper.arxiv_id])
    assert f'action="{lock_url}"' in text(client.get(paper.get_absolute_url()))
    no_reason = client.post(lock_url, {"reason": ""})
    assert no_reason.status_code == 422
    assert "Give a reason" in text(no_reason)

    locked = client.post(lock_url, {"reason": "Flame war."})

    assert locked.status_code == 302
    assert locked["Location"] == paper.get_absolute_url()
    paper.refresh_from_db()
    assert paper.discussion_locked
    entry = ModerationAction.objects.get()
    assert (entry.action, entry.reason) == (Action.DISCUSSION_LOCK, "Flame war.")

    client.force_login(member)
    page = text(client.get(paper.get_absolute_url()))
    assert "This discussion is locked by a moderator" in page
    assert 'id="comment-form"' not in page
    assert reverse("comments:reply", args=[comment.pk]) not in page
    for htmx in (True, False):
        for parent in (None, comment):
            refused = post_comment(client, paper, "More fuel", parent=parent, htmx=htmx)
            assert refused.status_code == 403
            assert "This discussion is locked by a moderator" in text(refused)
    reply_form = client.get(reverse("comments:reply", args=[comment.pk]), **HTMX)
    assert reply_form.status_code == 403
    assert "locked by a moderator" in text(reply_form)
    assert Comment.objects.count() == 1

    client.force_login(moderator)
    page = text(client.get(paper.get_absolute_url()))
    unlock_url = reverse("moderation:discussion_unlock", args=[paper.arxiv_id])
    assert f'action="{unlock_url}"' in page
    assert client.post(unlock_url).status_code == 302
    assert client.post(unlock_url).status_code == 422  # already open

    client.force_login(member)
    assert post_comment(client, paper, "Calmer now", parent=comment).status_code == 200
    assert 'id="comment-form"' in text(client.get(paper.get_absolute_url()))


# --- Editing a paper and removing it from its day ------------------------------------------


def edit_data(paper: Paper, **changes) -> dict:
    data = {
        "title": paper.title,
        "abstract": paper.abstract,
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
        "reason": "Fixed the title.",
    }
    return data | changes


def test_paper_edit_changes_the_fields_and_search_finds_the_new_title(client, moderator, paper):
    client.force_login(moderator)
    url = reverse("moderation:paper_edit", args=[paper.arxiv_id])
    form = text(client.get(url))
    assert 'value="Sparse attention for transformers"' in form
    assert 'name="reason"' in form

    response = client.post(
        url, edit_data(paper, title="Holographic lattices", github_repo="https://github.com/x/y")
    )

    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.title, paper.github_repo) == ("Holographic lattices", "https://github.com/x/y")
    entry = ModerationAction.objects.get()
    assert entry.action == Action.PAPER_EDIT
    assert "Fixed the title." in entry.reason
    found = text(client.get(reverse("papers:search"), {"q": "holographic"}))
    assert paper.get_absolute_url() in found


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"github_repo": "not a url at all"}, "Enter a valid URL."),
        ({}, "Nothing was changed."),
        ({"title": "New", "reason": ""}, "Give a reason"),
    ],
)
def test_paper_edit_errors_come_back_on_the_form_with_422(
    client, moderator, paper, changes, message
):
    client.force_login(moderator)
    before = Paper.objects.values().get(pk=paper.pk)

    response = client.post(
        reverse("moderation:paper_edit", args=[paper.arxiv_id]), edit_data(paper, **changes)
    )

    assert response.status_code == 422
    assert message in text(response)
    assert Paper.objects.values().get(pk=paper.pk) == before
    assert not ModerationAction.objects.exists()


def test_remove_from_day_takes_the_paper_off_the_day_page(client, moderator, paper):
    day_url = reverse("papers:day", args=[dt.date(2024, 10, 14)])
    assert paper.get_absolute_url() in text(client.get(day_url))
    client.force_login(moderator)
    url = reverse("moderation:paper_remove_from_day", args=[paper.arxiv_id])
    assert f'action="{url}"' in text(client.get(paper.get_absolute_url()))
    assert client.post(url, {"reason": ""}).status_code == 422

    response = client.post(url, {"reason": "Not research."})

    assert response.status_code == 302
    assert not DailyEntry.objects.filter(paper=paper).exists()
    assert paper.get_absolute_url() not in text(client.get(day_url))
    page = text(client.get(paper.get_absolute_url()))
    assert f'action="{url}"' not in page  # nothing left to remove
    assert ModerationAction.objects.get().action == Action.PAPER_REMOVE_FROM_DAY
    again = client.post(url, {"reason": "Again."})
    assert again.status_code == 422
    assert "not on any day" in text(again)


def test_the_moderator_tools_panel(client, moderator, member, paper, comment):
    services.flag_create(user=member, item=paper, reason="spam")
    services.flag_create(user=member, item=comment, reason="spam")
    client.force_login(moderator)

    html = text(client.get(paper.get_absolute_url()))

    assert "Moderator tools" in html
    assert "1 open flag on the paper, 1 on its comments" in html
    assert f'href="{reverse("moderation:flags")}"' in html
    assert f'href="{reverse("moderation:paper_edit", args=[paper.arxiv_id])}"' in html
    assert f'href="{reverse("moderation:paper_merge", args=[paper.arxiv_id])}"' in html
    client.force_login(member)
    assert "Moderator tools" not in text(client.get(paper.get_absolute_url()))


# --- Who may open every URL of moderation in place ----------------------------------------


def _anonymous():
    return None


def _member():
    return make_member("someone")


def _suspended():
    return make_member("suspended", suspended_until=timezone.now() + dt.timedelta(days=2))


def _banned():
    return make_member("banned")  # banned after logging in: the session ends


def _moderator():
    return make_moderator("moderator")


def _staff():
    return verify_for_log_in(make_user("staffer", is_staff=True))


PEOPLE = {
    "anonymous": _anonymous,
    "member": _member,
    "suspended": _suspended,
    "banned": _banned,
    "moderator": _moderator,
    "staff": _staff,
}


def moderator_urls(paper, comment) -> dict[str, str]:
    """Each URL with an item it refuses to act on when given no input, whoever asks (nothing
    to restore, no reason, nothing to unlock...): only the status tells who may use it."""
    return {
        "comment_hide": reverse("moderation:comment_hide", args=[comment.pk]),
        "comment_restore": reverse("moderation:comment_restore", args=[comment.pk]),
        "discussion_lock": reverse("moderation:discussion_lock", args=[paper.arxiv_id]),
        "discussion_unlock": reverse("moderation:discussion_unlock", args=[paper.arxiv_id]),
        "paper_edit": reverse("moderation:paper_edit", args=[paper.arxiv_id]),
        "paper_remove_from_day": reverse("moderation:paper_remove_from_day", args=[paper.arxiv_id]),
    }


def log_in(client, who: str):
    user = PEOPLE[who]()
    if user is not None:
        client.force_login(user)
        if who == "banned":
            user.is_banned = True
            user.save(update_fields=["is_banned"])
    return user


@pytest.fixture
def items(paper, comment):
    return paper, comment


GET_STATUS = {
    "anonymous": 302,
    "banned": 302,
    "member": 403,
    "suspended": 403,
    "moderator": 200,
    "staff": 200,
}


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize(
    "name",
    [
        "comment_hide",
        "comment_restore",
        "discussion_lock",
        "discussion_unlock",
        "paper_edit",
        "paper_remove_from_day",
    ],
)
def test_who_may_use_each_moderator_url(client, items, who, name):
    url = moderator_urls(*items)[name]
    log_in(client, who)
    before = ModerationAction.objects.count()

    get = client.get(url)
    post = client.post(url)

    if name == "comment_restore":  # a button, no form of its own
        assert get.status_code == 405
    else:
        assert get.status_code == GET_STATUS[who]
    if who in {"anonymous", "banned"}:
        assert post.status_code == 302
        assert post["Location"].startswith(reverse("account_login"))
    else:
        assert post.status_code == (422 if who in {"moderator", "staff"} else 403)
    assert ModerationAction.objects.count() == before


@pytest.mark.parametrize("who", list(PEOPLE))
def test_who_may_flag(client, items, who):
    paper, comment = items
    log_in(client, who)
    expected = {"anonymous": 302, "banned": 302, "suspended": 403}.get(who, 200)

    for url in (flag_url(paper), flag_url(comment)):
        assert client.get(url).status_code == expected
        response = client.post(url, {"reason": "spam"})
        assert response.status_code == (302 if expected == 200 else expected)
    assert Flag.objects.count() == (2 if expected == 200 else 0)
    withdraw = client.post(reverse("moderation:flag_withdraw", args=[999_999]))
    assert withdraw.status_code == (302 if who in {"anonymous", "banned"} else 404)


# --- Author claims: asking again with new evidence ----------------------------------------


def test_a_rejected_claim_can_be_asked_again_once(client, moderator, paper):
    ada = make_member("ada")
    claim = author_claim_create(user=ada, authorship=paper.authorships.get(position=0))
    services.claim_reject(moderator=moderator, claim=claim, reason="Not on the paper.")
    client.force_login(ada)
    again_url = reverse("papers:claim_again", args=[paper.arxiv_id, claim.pk])

    html = text(client.get(paper.get_absolute_url()))
    assert "rejected by a moderator: “Not on the paper.”" in html
    assert "waiting for a moderator" not in html
    assert f'action="{again_url}"' in html
    no_evidence = client.post(again_url, {"evidence": " "})
    assert no_evidence.status_code == 400
    assert "Say what a moderator can check" in text(no_evidence)

    response = client.post(again_url, {"evidence": "https://example.org/ada"})

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.asked_again, claim.evidence) == (
        AuthorClaim.Status.PENDING,
        True,
        "https://example.org/ada",
    )
    html = text(client.get(paper.get_absolute_url()))
    assert "waiting for a moderator" in html
    assert f'action="{again_url}"' not in html

    services.claim_reject(moderator=moderator, claim=claim, reason="Still no.")
    html = text(client.get(paper.get_absolute_url()))
    assert "rejected by a moderator: “Still no.”" in html
    assert "You already asked again once" in html
    assert f'action="{again_url}"' not in html
    refused = client.post(again_url, {"evidence": "Please"})
    assert refused.status_code == 409
    assert "You already asked again once" in text(refused)
    claim.refresh_from_db()
    assert claim.status == AuthorClaim.Status.REJECTED


def test_only_the_claimant_asks_again(client, moderator, paper):
    claim = author_claim_create(user=make_member("ada"), authorship=paper.authorships.first())
    services.claim_reject(moderator=moderator, claim=claim, reason="No.")
    url = reverse("papers:claim_again", args=[paper.arxiv_id, claim.pk])

    anonymous = client.post(url, {"evidence": "Me"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    client.force_login(make_member("impostor"))
    assert client.post(url, {"evidence": "Me"}).status_code == 404
    assert client.get(url).status_code == 405
    claim.refresh_from_db()
    assert claim.status == AuthorClaim.Status.REJECTED


def test_the_claim_form_takes_optional_evidence(client, paper):
    ada = make_member("ada")
    client.force_login(ada)
    assert 'name="evidence"' in text(client.get(paper.get_absolute_url()))

    response = client.post(
        reverse("papers:claim", args=[paper.arxiv_id]),
        {"authorship": paper.authorships.get(position=1).pk, "evidence": "ORCID 0000-0001"},
    )

    assert response.status_code == 302
    assert AuthorClaim.objects.get().evidence == "ORCID 0000-0001"
    assert "waiting for a moderator" in text(client.get(paper.get_absolute_url()))
