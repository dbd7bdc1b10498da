"""The demo data set: the papers of a real daily page, spread over the last few days."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from apps.demo.community import seed_community
from apps.digests.models import Frequency
from apps.digests.schedule import period_containing
from apps.digests.services import digest_freeze, subscription_for_user_subscribe
from apps.ingestion.parsers import open_feed
from apps.ingestion.services import entries_ingest
from apps.papers.arxiv_ids import ARXIV_ID_RE
from apps.papers.services import PaperRecord, daily_entry_place, paper_upsert
from apps.users.models import User
from apps.users.roles import MODERATORS_GROUP

DEMO_FILE = Path(__file__).parent / "demo_data" / "reference_daily_papers.json"
# A real arXiv listing (the all-archives RSS of 28 November 2024, trimmed to 13 items; from
# jmmeus/aioarxiv's test feeds, MIT): the New page of the demo, without the network.
DEMO_LISTING = Path(__file__).parent / "demo_data" / "arxiv_listing_2024-11-28.xml"
DEMO_DAYS = 5
DEMO_USERNAMES = ["ada", "alan", "grace", "emmy", "kurt", "sofia"]
# Moderates the demo (the moderators group: /moderation/).
DEMO_MODERATOR = "grace"
# With DEBUG on, these demo users get a digest at 08:00 UTC.
DEMO_DIGEST_SUBSCRIBERS = {"ada": Frequency.DAILY, "emmy": Frequency.WEEKLY}
# Demo accounts are created as established members, past the new-account limits.
DEMO_ACCOUNT_AGE = dt.timedelta(days=90)
# With DEBUG on, each demo user can log in as <username>@example.org with this password.
DEMO_PASSWORD = "paperboard-demo"  # noqa: S105 - development only, never set without DEBUG


@dataclass(frozen=True)
class DemoSummary:
    papers: int
    skipped: int
    days: list[dt.date]
    users: int
    announced: int
    digests: int


def date_from_arxiv_id(arxiv_id: str) -> dt.date:
    """First day of the id's ``YYMM``: the best guess when the source lacks a date."""
    yymm = arxiv_id.split("/")[-1][:4]
    return dt.date(
        2000 + int(yymm[:2]) if int(yymm[:2]) < 90 else 1900 + int(yymm[:2]), int(yymm[2:]), 1
    )


def demo_records(path: Path = DEMO_FILE) -> tuple[list[PaperRecord], int]:
    """The usable records of the demo file, and how many were skipped for lacking an id."""
    raw = json.loads(path.read_text(encoding="utf-8"))["papers"]
    records, skipped = [], 0
    for item in raw:
        arxiv_id = (item.get("arxiv_id") or "").strip()
        if not ARXIV_ID_RE.match(arxiv_id) or not item.get("title") or not item.get("abstract"):
            skipped += 1
            continue
        published = item.get("published")
        records.append(
            PaperRecord(
                arxiv_id=arxiv_id,
                title=item["title"],
                abstract=item["abstract"],
                authors=list(item.get("authors") or []),
                published_on=dt.date.fromisoformat(published)
                if published
                else date_from_arxiv_id(arxiv_id),
            )
        )
    return records, skipped


def _demo_users() -> list[User]:
    users = []
    for username in DEMO_USERNAMES:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": username.capitalize(),
                "email": f"{username}@example.org",
                "date_joined": timezone.now() - DEMO_ACCOUNT_AGE,
            },
        )
        if username == DEMO_MODERATOR:
            user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
        # Verified, as members who post must be (apps.users.roles.user_can_post); the
        # addresses are example.org's, which no mail reaches.
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        if settings.DEBUG:
            if created or not user.has_usable_password():
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        elif created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    return users


@transaction.atomic
def seed_demo(*, today: dt.date | None = None) -> DemoSummary:
    """Load the demo set; running it again on the same day leaves the same rows."""
    today = today or timezone.localdate()
    days = [today - dt.timedelta(days=offset) for offset in range(DEMO_DAYS)]
    users = _demo_users()
    records, skipped = demo_records()
    papers = []
    per_day = -(-len(records) // DEMO_DAYS)
    for index, record in enumerate(records):
        paper, _ = paper_upsert(record=record)
        papers.append(paper)
        day = days[index // per_day]
        submitted_at = dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC) + dt.timedelta(
            minutes=7 * (index % per_day)
        )
        daily_entry_place(
            paper=paper, day=day, submitted_by=users[index % len(users)], submitted_at=submitted_at
        )
    seed_community(users=users, papers=papers)
    with DEMO_LISTING.open("rb") as listing:
        announced = entries_ingest(open_feed(listing))
    return DemoSummary(
        papers=len(records),
        skipped=skipped,
        days=days,
        users=len(users),
        announced=announced.created + announced.updated + announced.unchanged,
        digests=_seed_digests(users=users, days=days),
    )


def _seed_digests(*, users: list[User], days: list[dt.date]) -> int:
    """The digests of the demo's finished days and weeks, so the archive has some, and (with
    DEBUG on) two subscribers, whose digests beat sends to the console. Returns how many
    digests exist for the demo days."""
    if settings.DEBUG:
        for user in users:
            if user.username in DEMO_DIGEST_SUBSCRIBERS:
                subscription_for_user_subscribe(
                    user=user,
                    frequency=DEMO_DIGEST_SUBSCRIBERS[user.username],
                    delivery_hour=8,
                    time_zone="UTC",
                )
    today = days[0]
    periods = {(Frequency.DAILY, period_containing(Frequency.DAILY, day)) for day in days[1:]}
    last_week = period_containing(Frequency.WEEKLY, today - dt.timedelta(days=today.isoweekday()))
    periods.add((Frequency.WEEKLY, last_week))
    frozen = [digest_freeze(frequency=frequency, period=period) for frequency, period in periods]
    return sum(digest is not None for digest in frozen)
