"""JSON shapes of the Hugging Face papers API (camelCase), built from our models.

Only public fields leave the site: usernames and display names, never emails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from apps.core.navigation import absolute_url
from apps.papers.models import DailyEntry, Paper
from apps.users.models import User


def iso_datetime(value: dt.datetime | dt.date | None) -> str | None:
    """The Hub's timestamp format, ``2024-10-01T09:00:00.000Z`` (UTC, milliseconds)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def user_payload(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "user": user.username,
        "fullname": user.public_name,
        "avatarUrl": absolute_url(reverse("users:avatar", args=[user.username])),
        # Not in the Hugging Face API (its client keeps unknown fields): the profile here.
        "profileUrl": absolute_url(user.get_absolute_url()),
        "type": "user",
    }


def _entry(paper: Paper) -> DailyEntry | None:
    try:
        return paper.daily_entry
    except DailyEntry.DoesNotExist:
        return None


ClaimedSlots = Mapping[tuple[int, int], User]


def _author(paper: Paper, position: int, name: str, claimed: ClaimedSlots) -> dict[str, Any]:
    author: dict[str, Any] = {"name": name, "hidden": False}
    user = claimed.get((paper.pk, position))
    if user is not None:
        author["user"] = user_payload(user)
    return author


def paper_payload(paper: Paper, claimed: ClaimedSlots) -> dict[str, Any]:
    """A paper as ``/api/papers/<id>`` returns it (from ``papers_with_author_names``).

    ``claimed``: the users behind approved author claims, by (paper id, author position).
    """
    entry = _entry(paper)
    return {
        "id": paper.arxiv_id,
        "title": paper.title,
        "summary": paper.abstract,
        "authors": [
            _author(paper, position, name, claimed)
            for position, name in enumerate(paper.author_names or [])
        ],
        "publishedAt": iso_datetime(paper.published_on),
        "updatedAt": iso_datetime(paper.updated_on),
        "upvotes": paper.upvotes_count,
        "numComments": paper.comments_count,
        "discussionId": paper.arxiv_id,
        "submittedOnDailyAt": iso_datetime(entry.submitted_at) if entry else None,
        "submittedOnDailyBy": user_payload(entry.submitted_by) if entry else None,
        "githubRepo": paper.github_repo or None,
        "projectPage": paper.project_page or None,
        "url": absolute_url(paper.get_absolute_url()),
    }


def listing_item(paper: Paper, claimed: ClaimedSlots) -> dict[str, Any]:
    """A daily-papers or search item: the paper nested under ``paper``, daily fields on top.

    As on the Hub, the top-level ``publishedAt`` is when the paper was put on the daily list.
    """
    entry = _entry(paper)
    submitted_at = entry.submitted_at if entry else None
    return {
        "paper": paper_payload(paper, claimed),
        "publishedAt": iso_datetime(submitted_at or paper.published_on),
        "submittedOnDailyAt": iso_datetime(submitted_at),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": paper.comments_count,
        "submittedBy": user_payload(entry.submitted_by) if entry else None,
        "githubRepo": paper.github_repo or None,
        "projectPage": paper.project_page or None,
    }
