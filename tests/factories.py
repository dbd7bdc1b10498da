"""Small builders for test data, all through the real services and the real database."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from apps.papers.models import DailyEntry, Paper
from apps.papers.services import PaperRecord, daily_entry_place, paper_upsert
from apps.users.models import User
from apps.votes.services import trending_scores_refresh

_ids = itertools.count(1)

PASSWORD = "correct horse battery staple"


def make_user(username: str | None = None, *, verified: bool = True, **fields) -> User:
    """An established account (joined a month ago, past the new-account limits) unless
    ``date_joined`` says otherwise, with its address as a primary EmailAddress, verified
    unless ``verified=False`` (as after sign-up, before the link in the email is followed)."""
    from allauth.account.models import EmailAddress

    username = username or f"user{next(_ids)}"
    fields.setdefault("date_joined", timezone.now() - dt.timedelta(days=30))
    user = User.objects.create_user(username=username, email=f"{username}@example.org", **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


def make_paper(
    *,
    arxiv_id: str | None = None,
    title: str = "A study of things",
    abstract: str = "We study things and find results.",
    authors: list[str] | None = None,
    published_on: dt.date = dt.date(2024, 10, 1),
    upvotes: int = 0,
) -> Paper:
    arxiv_id = arxiv_id or f"2410.{next(_ids):05d}"
    paper, _ = paper_upsert(
        record=PaperRecord(
            arxiv_id=arxiv_id,
            title=title,
            abstract=abstract,
            authors=authors if authors is not None else ["Ada Lovelace", "Alan Turing"],
            published_on=published_on,
        )
    )
    if upvotes:
        Paper.objects.filter(pk=paper.pk).update(upvotes_count=upvotes)
        paper.refresh_from_db()
    return paper


def make_entry(
    *,
    day: dt.date,
    paper: Paper | None = None,
    submitted_by: User | None = None,
    submitted_at: dt.datetime | None = None,
    **paper_fields,
) -> DailyEntry:
    paper = paper or make_paper(**paper_fields)
    return daily_entry_place(
        paper=paper,
        day=day,
        submitted_by=submitted_by,
        submitted_at=submitted_at or dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC),
    )


def add_votes(paper: Paper, count: int, *, at: dt.datetime | None = None) -> None:
    """``count`` real upvotes by new users, cast at ``at``; the counter and score recomputed."""
    from apps.votes.models import Vote

    users = User.objects.bulk_create(
        [User(username=f"voter{next(_ids)}", password="!") for _ in range(count)]
    )
    votes = Vote.objects.bulk_create([Vote(user=user, paper=paper) for user in users])
    if at is not None:  # created_at is auto_now_add: backdate after the insert
        Vote.objects.filter(pk__in=[vote.pk for vote in votes]).update(created_at=at)
    Paper.objects.filter(pk=paper.pk).update(upvotes_count=paper.votes.count())
    trending_scores_refresh(paper_ids=[paper.pk])
    paper.refresh_from_db()


def verify_for_log_in(user: User) -> User:
    """Give ``user`` the password PASSWORD and a verified primary email, as after sign-up."""
    from allauth.account.models import EmailAddress

    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user
