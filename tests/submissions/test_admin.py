"""The admin lists submissions by status and approves pending ones through the service."""

import pytest
from django.utils import timezone

from apps.papers.models import DailyEntry
from apps.submissions.models import Submission
from tests.factories import make_user
from tests.submissions.conftest import make_submission

pytestmark = pytest.mark.django_db

Status = Submission.Status
CHANGELIST = "/admin/submissions/submission/"


@pytest.fixture
def admin(client):
    client.force_login(make_user("boss", is_staff=True, is_superuser=True))
    return client


def test_the_list_filters_by_status(admin, submitter):
    make_submission(user=submitter, arxiv_id="2411.00008", status=Status.FAILED)
    make_submission(user=submitter, arxiv_id="2411.00009", status=Status.PENDING)

    html = admin.get(CHANGELIST, {"status__exact": "pending"}).content.decode()

    assert "2411.00009" in html
    assert "2411.00008" not in html
    assert "By status" in html


def test_approve_action_publishes_pending_and_reports_the_rest(admin, submitter):
    pending = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.PENDING)
    failed = make_submission(user=submitter, arxiv_id="2411.00008", status=Status.FAILED)

    response = admin.post(
        CHANGELIST,
        {"action": "approve_submissions", "_selected_action": [pending.pk, failed.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "Approved 1 submission(s)." in html
    assert "failed, not pending review" in html
    pending.refresh_from_db()
    assert pending.status == Status.PUBLISHED
    assert DailyEntry.objects.get(paper=pending.paper).day == timezone.localdate()


def test_statuses_are_not_edited_by_hand(admin, submitter):
    submission = make_submission(user=submitter, arxiv_id="2411.00009", status=Status.PENDING)

    html = admin.get(f"{CHANGELIST}{submission.pk}/change/").content.decode()

    assert 'name="status"' not in html
    assert admin.get(f"{CHANGELIST}add/").status_code == 403
