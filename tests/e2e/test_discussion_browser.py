"""A real headless Chromium upvotes, comments with maths and replies, without a page reload."""

import datetime as dt

import pytest

from apps.comments.models import Comment
from apps.votes.models import Vote
from tests.e2e.conftest import log_in
from tests.factories import make_entry, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]


def test_upvote_comment_with_maths_and_reply_without_reload(page, live_server):
    user = make_user("ada", display_name="Ada")
    entry = make_entry(day=dt.date(2024, 10, 14), title="Adaptive learning rates for LoRA")
    paper = entry.paper
    log_in(page, live_server, user)
    navigations, errors = [], []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/papers/{paper.arxiv_id}")
    page.evaluate("window.__noReload = 'still here'")
    navigations.clear()

    # Upvote: the button and the count change in place.
    page.locator(".vote-inline button.vote-button").click()
    page.wait_for_selector(".vote-inline form.vote-form.is-voted")
    assert page.locator(".vote-inline .vote-count").inner_text() == "1"

    # A comment with maths, previewed while typing, then posted.
    textarea = page.locator("#comment-form textarea")
    textarea.click()
    textarea.press_sequentially("Euler: $e^{i\\pi} + 1 = 0$")
    page.wait_for_selector("#preview-new .math-inline")
    page.locator("#comment-form button[type=submit]").click()
    comment_item = page.locator("#comment-list > li.comment").first
    comment_item.wait_for()
    assert "Euler" in comment_item.locator(".comment-body").inner_text()
    assert comment_item.locator(".math-inline").count() == 1
    comment_item.locator(".math-inline .katex").wait_for()  # typeset by the vendored KaTeX
    assert comment_item.locator(".katex").count() == 1  # once, not once per script
    assert page.locator("#comment-form textarea").input_value() == ""  # a fresh form

    # A reply, in place under the comment.
    comment = Comment.objects.get()
    comment_item.locator(".comment-actions a", has_text="Reply").click()
    reply_box = page.locator(f"#reply-form-{comment.pk} textarea")
    reply_box.fill("Indeed, and $\\sum_{n} 1/n^2 = \\pi^2/6$ too")
    page.locator(f"#reply-form-{comment.pk} button[type=submit]").click()
    reply_item = page.locator(f"#children-{comment.pk} > li.comment")
    reply_item.wait_for()
    assert "Indeed" in reply_item.inner_text()
    assert page.locator(f"#reply-form-{comment.pk}").count() == 0
    assert page.locator("#discussion-count").inner_text() == "(2)"

    assert page.evaluate("window.__noReload") == "still here"
    assert navigations == []
    assert errors == []
    assert Vote.objects.filter(user=user, paper=paper).exists()
    assert Comment.objects.filter(parent=comment, author=user).exists()


def test_edit_upvote_and_delete_a_comment_in_place(page, live_server):
    from apps.comments.services import comment_create

    user = make_user("grace")
    other = make_user("kurt")
    entry = make_entry(day=dt.date(2024, 10, 14))
    mine = comment_create(author=user, paper=entry.paper, body="Frist!")
    theirs = comment_create(author=other, paper=entry.paper, body="A good point about $\\beta$")
    log_in(page, live_server, user)
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    page.goto(f"{live_server.url}/papers/{entry.paper.arxiv_id}")
    page.evaluate("window.__noReload = 'still here'")
    # Maths already on the page is typeset once: β, not the source or a garbled copy.
    formula = page.locator(f"#comment-{theirs.pk} .comment-body .katex")
    formula.wait_for()
    assert formula.count() == 1
    assert formula.locator(".katex-html").inner_text().strip() == "β"

    page.locator(f"#comment-{mine.pk} .comment-actions a", has_text="Edit").click()
    editor = page.locator(f"#body-edit-{mine.pk}")
    editor.fill("First, with **emphasis**")
    page.locator(f"#comment-{mine.pk} button[type=submit]").click()
    page.wait_for_selector(f"#comment-{mine.pk} .comment-body strong")
    assert page.locator(f"#comment-{mine.pk} .edited").inner_text() == "edited"

    page.locator(f"#comment-{theirs.pk} .comment-vote button").click()
    page.wait_for_selector(f"#comment-{theirs.pk} .comment-vote.is-voted")
    assert page.locator(f"#comment-{theirs.pk} .comment-vote .vote-count").inner_text() == "1"

    page.locator(f"#comment-{mine.pk} .comment-actions button", has_text="Delete").click()
    page.wait_for_selector(f"#c-{mine.pk}", state="detached")
    assert page.locator("#discussion-count").inner_text() == "(1)"  # out of band, no reload

    assert page.evaluate("window.__noReload") == "still here"
    assert not Comment.objects.filter(pk=mine.pk).exists()
    theirs.refresh_from_db()
    assert theirs.upvotes_count == 1


def test_notifications_update_the_bell_in_place_and_open_marked_read(page, live_server):
    from apps.comments.services import comment_create
    from apps.notifications.models import Notification

    ada, alan = make_user("ada"), make_user("alan")
    entry = make_entry(day=dt.date(2024, 10, 14), title="Bounds for $\\ell_p$ regression")
    parent = comment_create(author=ada, paper=entry.paper, body="A first thought")
    comment_create(author=alan, paper=entry.paper, body="No: $\\beta > 1$", parent=parent)
    comment_create(author=alan, paper=entry.paper, body="@ada see this")
    comment_create(author=alan, paper=entry.paper, body="@ada and this")
    first, second, third = Notification.objects.filter(recipient=ada).order_by("pk")
    log_in(page, live_server, ada)
    page.goto(f"{live_server.url}/notifications")
    page.evaluate("window.__noReload = 'still here'")
    bell = page.locator("#header-bell .badge")
    assert bell.inner_text() == "3"
    item = page.locator(f"#notification-{first.pk}")
    assert item.locator(".notification-excerpt .katex annotation").text_content() == "\\beta > 1"

    page.locator(f"#notification-{third.pk}").get_by_role("button", name="Mark as read").click()
    page.wait_for_selector(f"#notification-{third.pk}:not(.is-unread)")
    assert bell.inner_text() == "2"  # the bell came along, out of band

    # The title opens the comment and marks that notification read.
    item.get_by_role("button", name="Bounds for").click()
    page.wait_for_url(
        f"{live_server.url}/papers/{entry.paper.arxiv_id}/comments/{first.comment_id}"
    )
    assert bell.inner_text() == "1"
    first.refresh_from_db()
    assert first.read_at is not None

    page.goto(f"{live_server.url}/notifications")
    page.evaluate("window.__noReload = 'still here'")
    page.get_by_role("button", name="Mark all read").click()
    page.wait_for_selector("text=Marked 1 notification read.")
    assert page.locator("#header-bell .badge").count() == 0
    assert page.locator(".notification.is-unread").count() == 0
    assert page.evaluate("window.__noReload") == "still here"
    second.refresh_from_db()
    assert second.read_at is not None
