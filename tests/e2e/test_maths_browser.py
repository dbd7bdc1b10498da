"""Maths typeset once everywhere it shows, and a phone-sized paper page that never scrolls
sideways, in a real headless Chromium."""

import datetime as dt

import pytest

from apps.comments.services import comment_create
from tests.e2e.conftest import log_in
from tests.factories import make_entry, make_paper, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 2, 9)
TITLE = "Bounds for $\\ell_p$ regression"
# Three formulas: inline, display, inline with the other delimiters.
ABSTRACT = "For every $p \\ge 1$ we show $$\\|x\\|_2 \\le C \\sqrt{d/n}$$ and \\(e^{-n}\\)."
COMMENT = (
    "Euler: $e^{i\\pi} + 1 = 0$, and\n\n$$\\sum_{n \\ge 1} \\frac{1}{n^2} = \\frac{\\pi^2}{6}$$"
)
# The TeX of each formula, as KaTeX records it: one typeset formula per formula, in order.
TITLE_TEX = "\\ell_p"
ABSTRACT_TEX = ["p \\ge 1", "\\|x\\|_2 \\le C \\sqrt{d/n}", "e^{-n}"]
COMMENT_TEX = ["e^{i\\pi} + 1 = 0", "\\sum_{n \\ge 1} \\frac{1}{n^2} = \\frac{\\pi^2}{6}"]


@pytest.fixture
def maths_paper():
    paper = make_paper(arxiv_id="2411.00001", title=TITLE, abstract=ABSTRACT, upvotes=5)
    make_entry(day=DAY, paper=paper)
    return paper


def typeset_again(page) -> None:
    """What a second pass would do (another htmx swap, a second script): must change nothing."""
    page.evaluate(
        "document.body.dispatchEvent(new CustomEvent('htmx:load', "
        "{bubbles: true, detail: {elt: document.body}}))"
    )


def tex(locator) -> list[str]:
    """The source of each typeset formula in ``locator``, from KaTeX's MathML annotation.

    A formula typeset twice shows as a formula inside a formula, or (typesetting KaTeX's own
    output again) as a formula whose source is that output's text.
    """
    assert locator.locator(".katex .katex").count() == 0
    return locator.locator(".katex annotation").all_text_contents()


def assert_no_tex_left(locator) -> None:
    assert "$" not in locator.inner_text()
    assert "\\(" not in locator.inner_text()


def test_a_day_page_card_typesets_title_and_abstract_once(maths_paper, live_server, page):
    page.goto(f"{live_server.url}/papers/date/2026-02-09", wait_until="networkidle")
    card = page.locator("#paper-2411\\.00001")
    typeset_again(page)
    assert tex(card.locator(".paper-title")) == [TITLE_TEX]
    assert tex(card.locator(".paper-abstract")) == ABSTRACT_TEX
    assert card.locator(".katex-display").count() == 0  # excerpts keep maths in the line
    assert_no_tex_left(card)


def test_search_results_typeset_maths_around_highlights(live_server, page):
    # ts_headline marks "ell" inside the title's formula and starts the abstract's snippet in
    # the middle of the display formula: the server widens and marks whole formulas.
    filler = " ".join(f"word{i}" for i in range(40))
    make_paper(
        arxiv_id="2411.00002",
        title=TITLE,
        abstract=f"{filler}. For every $p \\ge 1$ we show $$\\|x\\|_2 \\le C \\sqrt{{d/n}}$$ "
        "and the regression bound holds for all $\\ell_p$ norms.",
    )
    page.goto(f"{live_server.url}/papers/search?q=ell+norms", wait_until="networkidle")
    card = page.locator("#paper-2411\\.00002")
    typeset_again(page)
    title = card.locator(".paper-title")
    assert tex(title) == [TITLE_TEX]
    assert title.locator("mark .katex").count() == 1  # the highlight kept, around the formula
    abstract = card.locator(".paper-abstract")
    assert tex(abstract) == [ABSTRACT_TEX[1], TITLE_TEX]
    assert abstract.locator("mark").filter(has_text="norms").count() == 1
    assert_no_tex_left(card)


def test_the_profile_comments_tab_typesets_comment_maths(maths_paper, live_server, page):
    ada = make_user("ada")
    comment_create(author=ada, paper=maths_paper, body=COMMENT)
    page.goto(f"{live_server.url}/users/ada", wait_until="networkidle")
    page.click("nav.tabs >> text=Comments")  # swapped in by htmx
    page.wait_for_url(f"{live_server.url}/users/ada/comments")
    row = page.locator(".comment-row")
    row.locator(".math-display .katex").wait_for()
    typeset_again(page)
    assert tex(row.locator("p.muted")) == [TITLE_TEX]  # the paper's title
    assert tex(row.locator(".comment-body")) == COMMENT_TEX
    assert_no_tex_left(row)
    # The tab as a page of its own.
    page.goto(f"{live_server.url}/users/ada/comments", wait_until="networkidle")
    assert tex(page.locator(".comment-row")) == [TITLE_TEX, *COMMENT_TEX]


@pytest.mark.usefixtures("fast_password_hasher")
def test_the_paper_page_typesets_abstract_comments_and_preview_once(maths_paper, live_server, page):
    ada = make_user("ada")
    comment = comment_create(author=make_user("kurt"), paper=maths_paper, body=COMMENT)
    log_in(page, live_server, ada)
    page.goto(f"{live_server.url}/papers/2411.00001", wait_until="networkidle")
    body = page.locator(f"#comment-{comment.pk} .comment-body")
    assert tex(page.locator("h1")) == [TITLE_TEX]
    assert tex(page.locator(".abstract")) == ABSTRACT_TEX
    assert page.locator(".abstract .katex-display").count() == 1
    assert tex(body) == COMMENT_TEX
    assert_no_tex_left(body)

    textarea = page.locator("#comment-form textarea")
    textarea.fill("Preview: $\\alpha + \\beta$")
    textarea.press("End")  # a keyup: the preview follows typing
    page.locator("#preview-new .katex").wait_for()
    typeset_again(page)
    assert tex(page.locator("#preview-new")) == ["\\alpha + \\beta"]
    assert_no_tex_left(page.locator("#preview-new"))
    # The swap typeset the preview only.
    assert tex(body) == COMMENT_TEX
    assert tex(page.locator(".abstract")) == ABSTRACT_TEX


def test_the_paper_page_fits_a_phone_with_wide_code_maths_and_words(live_server, browser):
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    paper = make_paper(arxiv_id="2411.00003", title=f"On {word} and more")
    make_entry(day=DAY, paper=paper)
    long_line = "result = " + " + ".join(f"term_{i}(x)" for i in range(40))
    wide_sum = " + ".join(f"a_{{{i}}} x^{{{i}}}" for i in range(40))
    table = "| " + " | ".join(f"column {i}" for i in range(20)) + " |\n|" + "---|" * 20
    comment_create(
        author=make_user("ada"),
        paper=paper,
        body=f"Code:\n\n```python\n{long_line}\n```\n\nand\n\n$${wide_sum}$$\n\n{word}\n\n{table}",
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    no_sideways_scroll = (
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )

    page.goto(f"{live_server.url}/papers/2411.00003", wait_until="networkidle")
    page.locator(".comment-body .katex-display").wait_for()
    assert page.evaluate(no_sideways_scroll)
    # The code block and the formula scroll inside themselves instead.
    assert page.evaluate(
        "(e => e.scrollWidth > e.clientWidth)(document.querySelector('.comment-body pre'))"
    )
    title = page.locator("h1")
    assert title.evaluate("e => e.scrollWidth <= e.clientWidth")  # the long word wraps

    page.goto(f"{live_server.url}/papers/date/2026-02-09", wait_until="networkidle")
    assert page.evaluate(no_sideways_scroll)
    card_title = page.locator("#paper-2411\\.00003 .paper-title")
    assert card_title.evaluate("e => e.scrollWidth <= e.clientWidth")
    page.close()
