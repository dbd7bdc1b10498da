"""A real headless Chromium reads a long discussion: "More comments", "N more replies" and
"Continue this thread" load in place, without a page reload, with their maths typeset."""

from __future__ import annotations

import pytest

from apps.comments.selectors import PAGE_SIZE, REPLIES_PER_THREAD, THREAD_DEPTH
from tests.comments.test_pages import add
from tests.e2e.conftest import browser, page  # noqa: F401 - the browser tests' fixtures
from tests.factories import make_paper, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MATHS = '<p>Loaded: <span class="math math-inline">$x^2$</span></p>'


def test_a_long_discussion_loads_in_place(page, live_server):  # noqa: F811
    paper = make_paper()
    author = make_user()
    wide = add(paper, author, votes=10)
    for index in range(REPLIES_PER_THREAD + 3):
        add(paper, author, wide, minute=index, body_html=MATHS)
    chain = [add(paper, author, votes=9)]
    for index in range(THREAD_DEPTH + 1):
        chain.append(add(paper, author, chain[-1], minute=index))
    for index in range(PAGE_SIZE):
        add(paper, author, minute=100 + index)
    navigations, errors = [], []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}{paper.get_absolute_url()}")
    navigations.clear()
    top_level = page.locator("#comment-list > li.comment")
    assert top_level.count() == PAGE_SIZE

    page.get_by_role("link", name="More comments").click()
    page.locator("#comment-list > li.comment").nth(PAGE_SIZE).wait_for()
    assert top_level.count() == PAGE_SIZE + 2
    assert page.locator(".more-comments").count() == 0

    replies = page.locator(f"#children-{wide.pk} > li.comment")
    assert replies.count() == REPLIES_PER_THREAD
    page.locator(f"#children-{wide.pk} > li.more-replies a").click()
    replies.nth(REPLIES_PER_THREAD + 2).wait_for()
    assert replies.count() == REPLIES_PER_THREAD + 3
    replies.last.locator(".katex").wait_for()  # the loaded comments' maths, typeset

    end_of_chain = chain[REPLIES_PER_THREAD]
    page.locator(f"#children-{end_of_chain.pk} > li.more-replies a").click()
    continued = chain[THREAD_DEPTH - 1]
    page.locator(f"#children-{continued.pk} > li.continue-thread a").click()
    page.locator(f"#c-{chain[-1].pk}").wait_for()
    assert page.locator(".continue-thread").count() == 0

    assert navigations == []
    assert errors == []
