"""Submitters, submissions in given states, and the local arXiv API (see arxiv_server)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.submissions.models import Submission
from tests.factories import make_paper, make_user, verify_for_log_in
from tests.submissions.arxiv_server import FakeArxiv, serve_arxiv

NEW_ID = "2507.10541"  # REST: Stress Testing Large Reasoning Models...
NEW_PUBLISHED_ON = dt.date(2025, 7, 14)
OLD_STYLE_ID = "astro-ph/0601001"  # Frequency of Hot Jupiters..., 2006


def days_since(day: dt.date) -> int:
    return (timezone.localdate() - day).days


def make_submitter(username: str | None = None, **fields):
    """A user who may submit: active, not banned, with a verified primary email."""
    return verify_for_log_in(make_user(username, **fields))


def make_submission(*, user, arxiv_id: str | None = None, status: str, paper=None, **fields):
    """A submission in a given state, written directly (the states' own paths are tested)."""
    decided = (Submission.Status.PENDING, Submission.Status.PUBLISHED, Submission.Status.REJECTED)
    if paper is None and status in decided:
        paper = make_paper(arxiv_id=arxiv_id)
    arxiv_id = arxiv_id or (paper.arxiv_id if paper else None)
    return Submission.objects.create(
        submitted_by=user, arxiv_id=arxiv_id, paper=paper, status=status, **fields
    )


def trust(user) -> Submission:
    """Give ``user`` an earlier published submission (of an old paper of its own)."""
    return make_submission(user=user, status=Submission.Status.PUBLISHED)


@pytest.fixture
def arxiv_api(httpserver, settings) -> FakeArxiv:
    return serve_arxiv(httpserver, settings)


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Submitters get a password (to log in); real hashing would dominate these tests' time."""


@pytest.fixture
def submitter():
    return make_submitter("sam")
