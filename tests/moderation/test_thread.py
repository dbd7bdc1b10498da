"""Hidden comments in the thread: enough flags hide a comment pending review, a moderator's
removal says so; either way the comment keeps its place and its replies, loses its author and
text for readers (moderators see them folded), and takes no votes or replies. The paper page's
query count stays the same however many comments are hidden, for every kind of reader."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.comments.models import Comment
from apps.comments.selectors import comment_thread
from apps.comments.services import comment_create
from apps.moderation import services
from apps.moderation.models import Flag, ModerationAction
from apps.notifications.models import Notification
from apps.votes.models import CommentVote
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_member, make_moderator

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PENDING = "[hidden pending review]"
REMOVED = "[removed by a moderator]"


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Members get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def paper(db):
    paper = make_paper(arxiv_id="2410.09692")
    make_entry(day=dt.date(2024, 10, 14), paper=paper, submitted_by=make_user("submitter"))
    return paper


@pytest.fixture
def troll(db):
    return make_member("troll", display_name="Troll Face")


@pytest.fixture
def thread(paper, troll):
    """A comment by the troll with a reply under it."""
    comment = comment_create(author=troll, paper=paper, body="You are all wrong")
    reply = comment_create(author=make_user("calm"), paper=paper, body="Calm reply", parent=comment)
    return comment, reply


def page(client, paper) -> str:
    return client.get(paper.get_absolute_url()).content.decode()


def test_the_threshold_flag_hides_the_comment_pending_review(client, settings, paper, thread):
    settings.FLAG_HIDE_THRESHOLD = 2
    comment, reply = thread
    flaggers = [make_member(f"flagger{i}") for i in range(2)]
    url = reverse("moderation:flag_comment", args=[comment.pk])

    client.force_login(flaggers[0])
    assert client.post(url, {"reason": "troll"}, **HTMX).status_code == 200
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.VISIBLE
    client.force_login(flaggers[1])
    assert client.post(url, {"reason": "unkind"}, **HTMX).status_code == 200

    comment.refresh_from_db()
    paper.refresh_from_db()
    assert comment.visibility == Comment.Visibility.FLAGGED
    assert paper.comments_count == 1  # the reply only
    entry = ModerationAction.objects.get()
    assert (entry.moderator, entry.action, entry.target_id) == (
        None,
        ModerationAction.Action.COMMENT_HIDE_BY_FLAGS,
        comment.pk,
    )
    client.force_login(make_member("reader"))
    html = page(client, paper)
    assert PENDING in html
    assert "You are all wrong" not in html
    assert "Troll Face" not in html
    assert "Calm reply" in html
    assert f'id="c-{reply.pk}"' in html
    assert "Discussion <span" in html
    assert '<span id="discussion-count" class="muted">(1)</span>' in html
    # No vote, reply, edit or flag on the hidden comment; its reply keeps all of them.
    assert reverse("votes:comment", args=[comment.pk]) not in html
    assert reverse("comments:reply", args=[comment.pk]) not in html
    assert reverse("moderation:flag_comment", args=[comment.pk]) not in html
    assert reverse("votes:comment", args=[reply.pk]) in html
    assert reverse("comments:reply", args=[reply.pk]) in html


def test_a_hidden_comment_takes_no_votes_replies_or_edits(client, paper, thread, troll):
    comment, _reply = thread
    services.comment_hide(moderator=make_moderator(), comment=comment, reason="Trolling.")
    voter = make_member("voter")
    client.force_login(voter)

    vote = client.post(reverse("votes:comment", args=[comment.pk]), **HTMX)
    assert 400 <= vote.status_code < 500
    assert not CommentVote.objects.filter(comment=comment).exists()
    assert client.get(reverse("comments:reply", args=[comment.pk]), **HTMX).status_code == 404
    reply = client.post(
        f"/papers/{paper.arxiv_id}/comments", {"body": "Me too", "parent": comment.pk}, **HTMX
    )
    assert reply.status_code == 422
    assert Comment.objects.filter(parent=comment).count() == 1

    client.force_login(troll)
    edit = client.post(reverse("comments:edit", args=[comment.pk]), {"body": "Sorry"}, **HTMX)
    assert edit.status_code == 403
    html = page(client, paper)
    assert reverse("comments:edit", args=[comment.pk]) not in html
    assert REMOVED in html
    assert "You are all wrong" not in html  # its author does not see it either


def test_moderators_see_the_hidden_text_folded_with_its_author(client, paper, thread):
    comment, _reply = thread
    services.comment_hide(moderator=make_moderator("other"), comment=comment, reason="Trolling.")
    client.force_login(make_moderator("mod"))

    html = page(client, paper)

    assert REMOVED in html
    assert '<details class="hidden-comment">' in html
    assert "<p>You are all wrong</p>" in html
    assert (
        'href="/users/troll"><bdi class="user-name">Troll Face</bdi> '
        '<span class="user-handle">@troll</span></a>'
    ) in html
    assert f'action="{reverse("moderation:comment_restore", args=[comment.pk])}"' in html
    assert reverse("votes:comment", args=[comment.pk]) not in html


def test_flagged_comments_are_restored_by_a_moderator_with_the_flags_dismissed(
    client, settings, paper, thread
):
    settings.FLAG_HIDE_THRESHOLD = 1
    comment, _reply = thread
    services.flag_create(user=make_member("flagger"), item=comment, reason="spam")
    client.force_login(make_moderator("mod"))
    assert PENDING in page(client, paper)

    response = client.post(reverse("moderation:comment_restore", args=[comment.pk]), **HTMX)

    assert response.status_code == 200
    assert "<p>You are all wrong</p>" in response.content.decode()
    assert '<span id="discussion-count" class="muted" hx-swap-oob="true">(2)</span>' in (
        response.content.decode()
    )
    assert Flag.objects.get().resolution == Flag.Resolution.DISMISSED
    notice = Notification.objects.get(kind=Notification.Kind.MODERATION)
    assert notice.recipient.username == "troll"


def test_a_comment_hidden_by_flags_can_be_removed_for_good(client, settings, paper, thread):
    settings.FLAG_HIDE_THRESHOLD = 1
    comment, _reply = thread
    services.flag_create(user=make_member("flagger"), item=comment, reason="troll")
    client.force_login(make_moderator("mod"))
    hide_url = reverse("moderation:comment_hide", args=[comment.pk])
    assert f'hx-get="{hide_url}"' in page(client, paper)

    form = client.get(hide_url, **HTMX).content.decode()
    assert 'name="reason"' in form
    response = client.post(hide_url, {"reason": "Trolling."}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert REMOVED in html
    assert f'hx-get="{hide_url}"' not in html  # removed: only "Restore" is left
    comment.refresh_from_db()
    assert comment.visibility == Comment.Visibility.REMOVED
    assert Flag.objects.get().resolution == Flag.Resolution.UPHELD


def test_the_permalink_and_the_sorted_thread_show_the_placeholder_too(client, paper, thread):
    comment, _reply = thread
    services.comment_hide(moderator=make_moderator(), comment=comment, reason="Trolling.")

    permalink = client.get(comment.get_absolute_url()).content.decode()
    sorted_thread = client.get(
        f"/papers/{paper.arxiv_id}/comments?sort=new", **HTMX
    ).content.decode()

    for html in (permalink, sorted_thread):
        assert REMOVED in html
        assert "You are all wrong" not in html
        assert "Calm reply" in html


def test_the_anonymous_paper_page_carries_no_session_and_no_moderation(client, paper, thread):
    comment, _reply = thread
    services.comment_hide(moderator=make_moderator(), comment=comment, reason="Trolling.")

    response = client.get(paper.get_absolute_url())

    html = response.content.decode()
    assert "sessionid" not in response.cookies
    assert "/flag" not in html
    assert "Moderator tools" not in html
    assert "hidden-comment" not in html
    assert REMOVED in html


def _bulk_comments(paper, count: int, *, hidden_every: int) -> None:
    """``count`` comments, threaded, every ``hidden_every``-th hidden (both kinds)."""
    authors = [make_user() for _ in range(5)]
    created: list[Comment] = []
    for index in range(count):
        parent = created[index // 3] if index % 2 and created else None
        visibility = Comment.Visibility.VISIBLE
        if index % hidden_every == 0:
            visibility = (Comment.Visibility.FLAGGED, Comment.Visibility.REMOVED)[index % 2]
        created.append(
            Comment.objects.create(
                paper=paper,
                author=authors[index % len(authors)],
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                body=f"comment {index}",
                body_html=f"<p>comment {index}</p>",
                visibility=visibility,
            )
        )


def _queries(client, paper) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "moderator", "staff"])
def test_paper_page_queries_are_constant_with_hidden_comments(client, paper, who):
    viewer = {
        "anonymous": lambda: None,
        "member": lambda: make_member("viewer"),
        "moderator": lambda: make_moderator("viewer"),
        "staff": lambda: make_member("viewer", is_staff=True),
    }[who]()
    if viewer is not None:
        client.force_login(viewer)
        # The viewer's own flags are read in one query, however many there are.
        services.flag_create(user=viewer, item=paper, reason="spam")
    _bulk_comments(paper, 6, hidden_every=3)
    _queries(client, paper)  # warms the similar-papers cache: both counts are the steady state
    few, _ = _queries(client, paper)

    _bulk_comments(paper, 200, hidden_every=3)
    # The first page of the discussion (tests/comments/test_pages.py) shows some of them.
    shown = Comment.objects.filter(pk__in=comment_thread(paper=paper).comment_ids)
    for comment in shown.filter(visibility=Comment.Visibility.VISIBLE)[:20]:
        if viewer is not None:
            services.flag_create(user=viewer, item=comment, reason="spam")
    many, html = _queries(client, paper)

    assert many == few
    hidden = shown.exclude(visibility=Comment.Visibility.VISIBLE).count()
    assert hidden >= 10
    assert html.count(PENDING) + html.count(REMOVED) == hidden
    if who in {"moderator", "staff"}:
        assert "Moderator tools" in html
        assert html.count('<details class="hidden-comment">') == hidden
    else:
        assert "hidden-comment" not in html
    if viewer is not None:
        assert html.count("You flagged this") == 21
    # anonymous: paper, authorships, authors, approved claims, comments (similar papers cached)
    # members + session, user, unread notifications, own vote, own claims, comment votes, own
    # flags, moderators group; moderators + permissions (2), open flags; staff: no group check
    limit = {"anonymous": 5, "member": 13, "moderator": 16, "staff": 13}[who]
    assert many <= limit
