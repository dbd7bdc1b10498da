"""The submit page, the status fragment that polls itself, retry; htmx and plain requests."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from apps.submissions.models import Submission
from apps.submissions.services import SUBMIT_RATE
from tests.factories import make_entry, make_paper, make_user
from tests.submissions.conftest import make_submission, make_submitter, trust

pytestmark = pytest.mark.django_db

Status = Submission.Status
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, submitter):
    client.force_login(submitter)
    return client


def recent_paper(arxiv_id: str = "2411.00001"):
    return make_paper(arxiv_id=arxiv_id, published_on=timezone.localdate() - dt.timedelta(days=2))


# --- Anonymous visitors ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/papers/submit")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fpapers%2Fsubmit"


def test_an_anonymous_post_creates_nothing(client):
    response = client.post("/papers/submit", {"text": "2411.00001"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Submission.objects.exists()


def test_an_anonymous_htmx_post_redirects_the_whole_page(client):
    response = client.post("/papers/submit", {"text": "2411.00001"}, **HTMX)

    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_anonymous_status_and_retry_go_to_log_in(client, submitter):
    submission = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    assert client.get(f"/papers/submit/{submission.pk}").status_code == 302
    assert client.post(f"/papers/submit/{submission.pk}/retry").status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.FAILED


# --- The page -------------------------------------------------------------------------------


def test_the_page_has_the_form_and_the_users_submissions(logged_in, submitter):
    make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED, message="Oops.")
    make_submission(user=submitter, arxiv_id="2411.00008", status=Status.FETCHING)
    make_submission(user=make_submitter("other"), arxiv_id="2411.00007", status=Status.FETCHING)

    response = logged_in.get("/papers/submit")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_text">arXiv id or URL</label>' in html
    assert 'placeholder="2410.09692, arXiv:2410.09692 or https://arxiv.org/abs/2410.09692"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Failed</strong>: Oops." in html
    assert "arXiv:2411.00008" in html
    assert "arXiv:2411.00007" not in html  # someone else's
    assert '<a href="/papers/submit">Submit a paper</a>' in html  # the header link


def test_an_id_in_the_address_fills_the_form(logged_in):
    html = logged_in.get("/papers/submit?id=2411.00001").content.decode()

    assert 'value="2411.00001"' in html


def test_the_header_link_is_only_for_logged_in_users(client, submitter):
    assert "Submit a paper" not in client.get("/papers/trending").content.decode()
    client.force_login(submitter)
    assert "Submit a paper" in client.get("/papers/trending").content.decode()


def test_an_unverified_user_sees_why_and_cannot_post(client):
    user = make_user("unverified", verified=False)
    client.force_login(user)

    html = client.get("/papers/submit").content.decode()
    assert "Verify your email address before submitting papers." in html
    assert re.search(r'<button class="button button-primary" type="submit" disabled>', html)

    response = client.post("/papers/submit", {"text": "2411.00001"})
    assert response.status_code == 403
    assert "Verify your email address" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_page_queries_stay_few_however_many_submissions(
    logged_in, submitter, django_assert_max_num_queries
):
    for number, status in enumerate(Status.values * 4):
        paper = recent_paper(f"2411.{number + 10:05d}") if status != Status.FETCHING else None
        make_submission(
            user=submitter, arxiv_id=f"2411.{number + 10:05d}", status=status, paper=paper
        )
    for submission in Submission.objects.filter(status=Status.PUBLISHED):
        make_entry(day=timezone.localdate(), paper=submission.paper)

    # session, user, the email check, the submissions with papers and entries, notifications
    with django_assert_max_num_queries(5):
        response = logged_in.get("/papers/submit")
    assert response.content.decode().count('class="submission-status') == 20


# --- Submitting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Enter an arXiv id or link, such as 2410.09692."),
        ("2413.00001", "its month (13) does not exist"),
        ("https://example.org/paper", "is not an arXiv id or link"),
        ("x" * 400, "at most 300 characters"),
    ],
)
def test_bad_input_shows_the_form_with_the_error_and_400(logged_in, text, says):
    response = logged_in.post("/papers/submit", {"text": text})

    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert 'aria-invalid="true"' in html
    assert 'id="submit-form"' in html
    assert not Submission.objects.exists()


def test_bad_input_from_htmx_comes_back_as_a_fragment_to_swap(logged_in):
    response = logged_in.post("/papers/submit", {"text": "2413.00001"}, **HTMX)

    assert response.status_code == 422  # swapped in place (base.html's htmx config)
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "its month (13) does not exist" in html
    assert "<html" not in html
    assert response["Vary"] == "HX-Request, Cookie"


def test_a_missing_field_is_a_400_not_a_500(logged_in):
    assert logged_in.post("/papers/submit", {}).status_code == 400


def test_an_htmx_submission_answers_with_its_status_polling_itself(
    logged_in, submitter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = logged_in.post(
            "/papers/submit", {"text": "https://arxiv.org/abs/2411.00002v3"}, **HTMX
        )

    assert response.status_code == 200
    submission = Submission.objects.get()
    assert (submission.arxiv_id, submission.status) == ("2411.00002", Status.FETCHING)
    assert len(callbacks) == 1
    html = response.content.decode()
    assert f'id="submission-{submission.pk}"' in html
    assert f'hx-get="/papers/submit/{submission.pk}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'hx-swap="outerHTML"' in html
    assert "<strong>Fetching</strong>" in html
    assert "<html" not in html


def test_a_plain_submission_redirects_to_its_status_page(
    logged_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = logged_in.post("/papers/submit", {"text": "2411.00002"})

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/papers/submit/{submission.pk}"
    page = logged_in.get(response["Location"]).content.decode()
    assert "<h1>Submission of arXiv:2411.00002</h1>" in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page


def test_a_stored_paper_from_a_card_button_is_decided_in_place(logged_in, submitter):
    """The New page's "Submit to today's list" posts the id with htmx into the card's line."""
    trust(submitter)
    paper = recent_paper()

    response = logged_in.post("/papers/submit", {"text": paper.arxiv_id}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Published</strong>" in html
    assert f'<a href="/papers/{paper.arxiv_id}">see it on today\'s list</a>' in html
    assert "hx-trigger" not in html  # decided: nothing to poll


def test_a_featured_paper_goes_to_its_page_with_a_message(logged_in):
    entry = make_entry(day=dt.date(2026, 11, 3), paper=recent_paper())

    response = logged_in.post("/papers/submit", {"text": "arXiv:2411.00001"})

    assert response.status_code == 302
    assert response["Location"] == "/papers/2411.00001"
    page = logged_in.get(response["Location"]).content.decode()
    assert "2411.00001 is already on the list of 3 November 2026." in page
    assert not Submission.objects.exists()
    assert entry.paper.arxiv_id == "2411.00001"


def test_a_featured_paper_from_htmx_redirects_the_page(logged_in):
    make_entry(day=dt.date(2026, 11, 3), paper=recent_paper())

    response = logged_in.post("/papers/submit", {"text": "2411.00001"}, **HTMX)

    assert response["HX-Redirect"] == "/papers/2411.00001"


def test_someone_elses_open_submission_is_a_notice(logged_in, django_capture_on_commit_callbacks):
    make_submission(user=make_submitter("other"), arxiv_id="2411.00009", status=Status.FETCHING)

    htmx = logged_in.post("/papers/submit", {"text": "2411.00009"}, **HTMX)
    plain = logged_in.post("/papers/submit", {"text": "2411.00009"}, follow=True)

    notice = "Someone has already submitted 2411.00009; it is being fetched from arXiv."
    assert notice in htmx.content.decode()
    assert notice in plain.content.decode()
    assert Submission.objects.count() == 1


def test_your_own_open_submission_is_shown_again(logged_in, submitter):
    mine = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FETCHING)

    response = logged_in.post("/papers/submit", {"text": "2411.00009"})

    assert response["Location"] == f"/papers/submit/{mine.pk}"


def test_the_daily_limit_is_shown_on_the_form(logged_in, submitter, settings):
    settings.SUBMISSIONS_PER_DAY = 1
    make_submission(user=submitter, status=Status.PENDING)

    response = logged_in.post("/papers/submit", {"text": "2411.00002"})

    assert response.status_code == 400
    assert "You can submit 1 papers a day" in response.content.decode()


def test_too_many_posts_are_429(logged_in, settings):
    settings.SUBMISSIONS_PER_DAY = 100
    for number in range(SUBMIT_RATE.limit):
        response = logged_in.post("/papers/submit", {"text": f"2411.{number + 1:05d}"})
        assert response.status_code == 302

    response = logged_in.post("/papers/submit", {"text": "2411.00099"})

    assert response.status_code == 429
    assert "You are submitting too fast." in response.content.decode()
    assert Submission.objects.count() == SUBMIT_RATE.limit


# --- Status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message", "shows"),
    [
        (Status.PENDING, "", "<strong>Pending review</strong>"),
        (Status.REJECTED, "Off topic for this site.", "<strong>Rejected</strong>: Off topic"),
        (Status.FAILED, "arXiv could not be reached", "<strong>Failed</strong>: arXiv could not"),
    ],
)
def test_a_final_status_stops_polling(logged_in, submitter, status, message, shows):
    submission = make_submission(
        user=submitter, arxiv_id="2411.00009", status=status, message=message
    )

    response = logged_in.get(f"/papers/submit/{submission.pk}", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert shows in html
    assert "hx-trigger" not in html
    assert "<html" not in html


def test_a_published_status_links_to_the_paper_on_its_day(logged_in, submitter):
    submission = make_submission(user=submitter, status=Status.PUBLISHED)
    make_entry(day=dt.date(2026, 11, 20), paper=submission.paper)

    html = logged_in.get(f"/papers/submit/{submission.pk}", **HTMX).content.decode()

    assert "<strong>Published</strong>" in html
    path = submission.paper.get_absolute_url()
    assert f'<a href="{path}">see it on the list of Nov 20, 2026</a>' in html


def test_a_failed_status_has_a_retry_button(logged_in, submitter):
    submission = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    html = logged_in.get(f"/papers/submit/{submission.pk}", **HTMX).content.decode()

    assert f'hx-post="/papers/submit/{submission.pk}/retry"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert ">Retry</button>" in html


def test_someone_elses_submission_is_a_404(logged_in):
    other = make_submission(user=make_submitter("other"), arxiv_id="2411.00009", status="failed")

    assert logged_in.get(f"/papers/submit/{other.pk}").status_code == 404
    assert logged_in.get(f"/papers/submit/{other.pk}", **HTMX).status_code == 404
    assert logged_in.post(f"/papers/submit/{other.pk}/retry").status_code == 404
    assert logged_in.get("/papers/submit/999999").status_code == 404
    other.refresh_from_db()
    assert other.status == Status.FAILED


# --- Retry ----------------------------------------------------------------------------------


def test_retry_with_htmx_answers_the_polling_status(
    logged_in, submitter, django_capture_on_commit_callbacks
):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = logged_in.post(f"/papers/submit/{failed.pk}/retry", **HTMX)

    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert len(callbacks) == 1
    failed.refresh_from_db()
    assert failed.status == Status.FETCHING


def test_retry_without_htmx_redirects_to_the_status(
    logged_in, submitter, django_capture_on_commit_callbacks
):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    with django_capture_on_commit_callbacks(execute=False):
        response = logged_in.post(f"/papers/submit/{failed.pk}/retry")

    assert response["Location"] == f"/papers/submit/{failed.pk}"


def test_retrying_what_did_not_fail_says_why(logged_in, submitter):
    pending = make_submission(user=submitter, status=Status.PENDING)

    response = logged_in.post(f"/papers/submit/{pending.pk}/retry", **HTMX)
    assert response.status_code == 422
    assert "Only a failed submission can be retried." in response.content.decode()

    plain = logged_in.post(f"/papers/submit/{pending.pk}/retry", follow=True)
    assert "Only a failed submission can be retried." in plain.content.decode()


def test_retry_only_takes_posts(logged_in, submitter):
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    assert logged_in.get(f"/papers/submit/{failed.pk}/retry").status_code == 405


# --- CSRF -----------------------------------------------------------------------------------


def test_posts_need_the_csrf_token(submitter, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(submitter)
    failed = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.FAILED)

    assert client.post("/papers/submit", {"text": "2411.00001"}).status_code == 403
    assert client.post(f"/papers/submit/{failed.pk}/retry").status_code == 403
    assert Submission.objects.count() == 1

    page = client.get("/papers/submit").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/papers/submit", {"text": "2411.00001", "csrfmiddlewaretoken": token}
        )
        retried = client.post(f"/papers/submit/{failed.pk}/retry", HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 302
    assert retried.status_code == 200
    assert Submission.objects.filter(status=Status.FETCHING).count() == 2
