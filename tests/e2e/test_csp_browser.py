"""The Content-Security-Policy in a real headless Chromium: the main pages and the comment flow
run without a single violation (reported by the browser's ``securitypolicyviolation`` events
and its console), and their scripts still work under it."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress

from apps.comments.models import Comment
from apps.comments.services import comment_create
from tests.e2e.conftest import log_in
from tests.factories import make_entry, make_paper, make_user
from tests.moderation.conftest import make_moderator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher"),
]

DAY = dt.date(2026, 2, 9)
# Runs before the page's own scripts, outside the page's policy (Playwright's init script).
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__reportViolation(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.documentURI + (event.sample ? " (" + event.sample + ")" : ""));
});
"""


class Watch:
    """Everything the browser reported against the policy, and any script error."""

    def __init__(self, context):
        self.violations: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        context.expose_binding(
            "__reportViolation", lambda source, text: self.violations.append(text)
        )
        context.add_init_script(WATCH_VIOLATIONS)

    def attach(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(text)

    def assert_clean(self):
        assert self.violations == []
        assert self.console == []
        assert self.errors == []


@pytest.fixture
def watched(browser):
    """A new page whose violations are collected: ``page, watch``."""
    context = browser.new_context()
    watch = Watch(context)
    yield watch.attach(context.new_page()), watch
    context.close()


@pytest.fixture
def maths_paper():
    paper = make_paper(
        arxiv_id="2411.00001",
        title="Bounds for $\\ell_p$ regression",
        abstract="For every $p \\ge 1$ we show $$\\|x\\|_2 \\le C \\sqrt{d/n}$$.",
        upvotes=0,
    )
    make_entry(day=DAY, paper=paper)
    return paper


def visit(page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response.status == status, url
    assert "content-security-policy" in response.headers, url  # Playwright's names: lower case
    page.wait_for_load_state("load")


def test_the_watch_catches_an_inline_script_and_a_style_attribute(watched, live_server):
    """Self-check: markup the policy forbids, slipped into a real page, is reported and blocked."""
    page, watch = watched

    def inject(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            '<script>window.__inlineRan = true</script><p style="color: red">x</p></main>',
        )
        route.fulfill(response=response, body=body)

    page.route(f"{live_server.url}/papers/trending", inject)
    page.goto(f"{live_server.url}/papers/trending")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__inlineRan") is None  # blocked
    page.wait_for_timeout(200)  # violation events are dispatched asynchronously
    assert any(v.startswith("script-src") for v in watch.violations), watch.violations
    assert any(v.startswith("style-src") for v in watch.violations), watch.violations
    assert watch.console


@pytest.mark.usefixtures("shared_cache_on")
def test_anonymous_pages_have_no_violation(watched, live_server, maths_paper):
    page, watch = watched
    author = make_user("ada", display_name="Ada")
    comment_create(author=author, paper=maths_paper, body="Euler: $e^{i\\pi} + 1 = 0$")
    url = live_server.url
    for path in [
        "/",
        "/papers/date/2026-02-09",
        "/papers/date/2026-02-09",  # again: the shared copy from Redis
        "/papers/week/2026-W07",
        "/papers/month/2026-02",
        "/papers/trending",
        "/papers/search?q=regression",
        f"/papers/{maths_paper.arxiv_id}",
        "/papers/new",
        "/users/ada",
        "/digest",
        "/digest/archive",
        "/digest/preview",  # the email in a srcdoc iframe, with its own inline styles
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/admin/login/",
    ]:
        visit(page, url + path)
    visit(page, url + "/papers/9999.99999", status=404)

    visit(page, f"{url}/digest/preview")
    email = page.frame_locator("iframe.digest-preview")
    email.locator("table.wrapper").wait_for()
    # Its styles applied (browsers' default margin is 8px).
    assert email.locator("body").evaluate("b => getComputedStyle(b).margin") == "0px"
    # The page's scripts ran: KaTeX typeset the maths, htmx is there with eval off.
    visit(page, f"{url}/papers/{maths_paper.arxiv_id}")
    page.locator(".comment-body .katex").first.wait_for()
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    watch.assert_clean()


def test_comment_flow_and_member_pages_have_no_violation(watched, live_server, maths_paper):
    page, watch = watched
    moderator = make_moderator("grace", display_name="Grace", is_staff=True, is_superuser=True)
    other = make_user("kurt")
    theirs = comment_create(author=other, paper=maths_paper, body="@grace a point on $\\beta$")
    url = live_server.url
    log_in(page, live_server, moderator)
    # A change of address waiting for verification: allauth's page has a hidden form for it.
    EmailAddress.objects.create(user=moderator, email="grace@new.example.org")

    visit(page, f"{url}/papers/{maths_paper.arxiv_id}")
    # Upvote in place.
    count = page.locator(".vote-inline .vote-count")
    before = int(count.inner_text())
    page.locator(".vote-inline button.vote-button").click()
    page.wait_for_selector(".vote-inline form.vote-form.is-voted")
    assert int(count.inner_text()) == before + 1
    # Preview while typing (htmx, typeset by KaTeX), then post.
    textarea = page.locator("#comment-form textarea")
    textarea.click()
    textarea.press_sequentially("Euler: $e^{i\\pi} + 1 = 0$")
    page.locator("#preview-new .math-inline .katex").wait_for()
    page.locator("#comment-form button[type=submit]").click()
    mine_item = page.locator("#comment-list > li.comment", has_text="Euler").first
    mine_item.locator(".math-inline .katex").wait_for()
    mine = Comment.objects.get(author=moderator)
    # Reply in place.
    page.locator(f"#comment-{theirs.pk} .comment-actions a", has_text="Reply").click()
    page.locator(f"#reply-form-{theirs.pk} textarea").fill("Indeed, $\\beta > 1$")
    page.locator(f"#reply-form-{theirs.pk} button[type=submit]").click()
    page.locator(f"#children-{theirs.pk} > li.comment").wait_for()
    # Edit in place.
    page.locator(f"#comment-{mine.pk} .comment-actions a", has_text="Edit").click()
    page.locator(f"#body-edit-{mine.pk}").fill("First, with **emphasis**")
    page.locator(f"#comment-{mine.pk} button[type=submit]").click()
    page.wait_for_selector(f"#comment-{mine.pk} .comment-body strong")
    # Upvote someone else's comment.
    page.locator(f"#comment-{theirs.pk} .comment-vote button").click()
    page.wait_for_selector(f"#comment-{theirs.pk} .comment-vote.is-voted")
    assert page.locator(f"#comment-{theirs.pk} .comment-vote .vote-count").inner_text() == "1"

    for path in [
        "/",
        "/papers/submit",
        "/notifications",
        "/notifications/settings",
        "/users/grace",
        "/accounts/settings/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/digest",
        "/moderation/",
        "/moderation/submissions",
        "/moderation/flags",
        "/moderation/claims",
        "/moderation/users",
        "/moderation/users/kurt",
        "/moderation/log",
        f"/moderation/papers/{maths_paper.arxiv_id}/edit",
        "/admin/",
        f"/admin/papers/paper/{maths_paper.pk}/change/",
    ]:
        visit(page, url + path)
    visit(page, f"{url}/accounts/email/")
    assert page.locator("form#pending-email").is_hidden()
    # The submit form posts through htmx (its reset after a post: tests/e2e/test_submit_browser).
    visit(page, f"{url}/papers/submit")
    page.fill("#id_text", "not a paper")
    page.click("#submit-form button[type=submit]")
    page.locator("#submit-result [role=alert]").first.wait_for()
    watch.assert_clean()
