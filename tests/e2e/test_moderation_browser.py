"""A member submits a paper and flags a comment in a real headless Chromium; a moderator
approves the paper for a day and removes the comment from the queues, in place; everyone sees
the result, and the public log shows both decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.comments.services import comment_create
from apps.moderation.models import Flag
from apps.submissions.models import Submission
from tests.e2e.conftest import log_in
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_member, make_moderator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

RUDE = "Only an idiot would publish this."
REPLY = "The ablation in Table 2 answers the question, though."


def test_a_submission_approved_and_a_flagged_comment_removed_show_in_the_log(
    browser, page, live_server
):
    errors: list[str] = []
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    make_paper(
        arxiv_id="2611.00042", title="Sparse routers for tiny experts", published_on=yesterday
    )
    discussed = make_entry(day=today - dt.timedelta(days=3)).paper
    rude = comment_create(author=make_user("carol"), paper=discussed, body=RUDE)
    comment_create(author=make_user("dave"), paper=discussed, body=REPLY, parent=rude)

    # A member submits the paper (it waits for review) and flags the rude comment.
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, make_member("bob"))
    page.goto(f"{live_server.url}/papers/submit")
    page.fill("#id_text", "https://arxiv.org/abs/2611.00042v1")
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector("#submit-result .submission-status[data-status=pending]")

    page.goto(f"{live_server.url}{discussed.get_absolute_url()}")
    slot = f"#flag-comment-{rude.pk}"
    page.click(f"{slot} a")
    page.check(f"{slot} input[value=unkind]")
    page.click(f"{slot} button[type=submit]")
    page.wait_for_selector(f"{slot} .flag-mark")
    assert "Flagged. Thanks" in page.inner_text(slot)
    assert Flag.objects.filter(comment=rude, reason="unkind").count() == 1

    # A moderator approves it for yesterday from the queue, without leaving the page.
    moderator_page = browser.new_context().new_page()
    moderator_page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(moderator_page, live_server, make_moderator("mod"))
    submission = Submission.objects.get(arxiv_id="2611.00042")
    moderator_page.goto(f"{live_server.url}/moderation/submissions")
    moderator_page.evaluate("window.__noReload = 'still here'")
    item = f"#submission-{submission.pk}"
    moderator_page.fill(f"#day-{submission.pk}", yesterday.isoformat())
    moderator_page.click(f"{item} button[data-shortcut=approve]")
    moderator_page.wait_for_selector(f"{item}.is-done")
    assert "Approved" in moderator_page.inner_text(item)
    assert moderator_page.evaluate("window.__noReload") == "still here"

    # ...and removes the flagged comment from the flags queue, with a reason.
    moderator_page.goto(f"{live_server.url}/moderation/flags")
    moderator_page.evaluate("window.__noReload = 'still here'")
    flagged = f"#flags-comment-{rude.pk}"
    assert "1 open flag: Unkind" in moderator_page.inner_text(flagged)
    moderator_page.click(f"{flagged} .queue-act summary")
    moderator_page.fill(f"#reason-flags-comment-{rude.pk}", "Personal attack on the authors.")
    moderator_page.click(f"{flagged} .queue-act button[type=submit]")
    moderator_page.wait_for_function(
        f"() => document.querySelector('{flagged}').innerText.includes('removed by a moderator')"
    )
    assert moderator_page.evaluate("window.__noReload") == "still here"

    # Everyone, logged in or not, sees the paper on that day and the comment gone.
    visitor = browser.new_context().new_page()
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{live_server.url}/papers/date/{yesterday.isoformat()}")
    assert "Sparse routers for tiny experts" in visitor.inner_text("main")
    for reader in (visitor, page):
        reader.goto(f"{live_server.url}{discussed.get_absolute_url()}")
        thread = reader.inner_text("#comment-thread")
        assert "[removed by a moderator]" in thread
        assert RUDE not in reader.content()
        assert REPLY in thread  # the replies stay

    # The public log shows both decisions, with the moderator's handle and the reason only.
    visitor.goto(f"{live_server.url}/moderation/log")
    log = visitor.inner_text(".log-list")
    assert "approved a submission" in log
    assert "removed a comment" in log
    assert "Personal attack on the authors." in log
    assert "@mod" in log
    assert "bob" not in log  # the flagger and submitter are not named
    assert errors == []
    for other in (moderator_page, visitor):
        other.context.close()
