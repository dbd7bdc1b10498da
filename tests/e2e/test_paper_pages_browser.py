"""The reader pages in a real headless Chromium: maths rendered, mobile layout, keyboard."""

import datetime as dt
import os
import shutil

import pytest

from tests.factories import make_entry, make_paper

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser():
    """Request it after the database fixtures: Playwright's loop makes the ORM refuse to run."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required (REQUIRE_BROWSER=1) but {CHROMIUM} is missing")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def maths_paper():
    paper = make_paper(
        arxiv_id="2411.00001",
        title="Bounds for $\\ell_p$ regression",
        abstract="For every $p \\ge 1$ we show $$\\|x\\|_2 \\le C \\sqrt{d/n}$$ and \\(e^{-n}\\).",
        upvotes=5,
    )
    make_entry(day=dt.date(2026, 2, 9), paper=paper)
    return paper


def test_paper_page_renders_the_abstract_maths_with_katex(maths_paper, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/papers/2411.00001", wait_until="networkidle")
    abstract = page.locator(".abstract")
    assert abstract.locator(".katex").count() == 3
    assert abstract.locator(".katex-display").count() == 1
    assert page.locator("h1 .katex").count() == 1
    assert "$" not in abstract.locator(".katex-html").first.inner_text()


def test_day_page_fits_a_phone_screen_and_keeps_excerpt_maths_inline(
    maths_paper, live_server, browser
):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(f"{live_server.url}/papers/date/2026-02-09", wait_until="networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card = page.locator("#paper-2411\\.00001")
    assert card.locator(".paper-abstract .katex").count() == 3
    assert card.locator(".katex-display").count() == 0


def test_keyboard_users_can_skip_to_content_and_see_focus(maths_paper, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/", wait_until="networkidle")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.fixture
def fifty_more_papers():
    for i in range(50):
        make_entry(day=dt.date(2026, 2, 9), arxiv_id=f"2602.{i + 100:05d}", upvotes=10 + i)


def test_more_papers_appends_the_next_page_with_its_maths(
    maths_paper, fifty_more_papers, live_server, browser
):
    page = browser.new_page()
    page.goto(f"{live_server.url}/papers/date/2026-02-09", wait_until="networkidle")
    assert page.locator(".paper-card").count() == 50
    page.get_by_role("link", name="More papers →").click()
    page.wait_for_selector("#paper-2411\\.00001 .katex")
    assert page.locator(".paper-card").count() == 51
    assert page.locator(".pager").count() == 1
    assert page.url.endswith("/papers/date/2026-02-09")  # appended in place
