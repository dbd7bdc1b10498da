"""Digest throughput: one daily digest planned, rendered and handed to the mail backend.

    .venv/bin/python bench/digest_bench.py [--subscribers 10000] [--small 1000] [--accounts 0.2]
                                           [--senders N]

Uses the bench database (``paperboard_bench``, see bench/README.md) with generate.py's data in
it. Each round creates its own active, confirmed subscriptions (addresses at
``digest-bench.invalid``): ``--accounts`` of them linked to the users who upvoted or commented
most in the last 30 days (so their "for you" part has something to go on), the rest anonymous,
spread over twelve time zones with the delivery hour that makes all of them due at one instant,
00:05 UTC the day after the latest day with daily entries. Then it times the hourly planner
(``deliveries_plan`` at that instant) and the senders (``deliveries_send`` until nothing is
left: claim, render, hand to Django's locmem backend, record), and counts SQL queries: all of
them per email, and the renderer's own per anonymous and per account-holder email, with the
renderer's time. A round of ``--small`` subscribers, then one of ``--subscribers``, shows whether
the count per email grows with the list; a last round sends the ``--subscribers`` with
``--senders`` processes at once (DIGEST_SENDERS, as the hourly task starts them), which also
checks that none is sent twice. Everything a round creates (subscriptions, deliveries, the
digest) is deleted after it, so runs are repeatable. Target: at least 500 emails/s.

"CPU app+db" is the CPU time per email of the senders and of their PostgreSQL backends (from
/proc), which other load on the shared machine does not inflate the way it does wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_NAME", "paperboard_bench")
# Production-like settings (DEBUG off: cached templates, no query log), as bench/run.py.
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("SITE_URL", "https://paperboard.example")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Digests go to Django's in-memory backend: what is measured ends where SMTP would begin.
os.environ["DIGEST_EMAIL_URL"] = "memory://"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

import django  # noqa: E402

from config import embedded  # noqa: E402

embedded.start()
django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.mail.backends import locmem  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.comments.models import Comment  # noqa: E402
from apps.digests.models import Delivery, Digest, Frequency, Subscription  # noqa: E402
from apps.digests.rendering import DigestRenderer  # noqa: E402
from apps.digests.sending import deliveries_plan, deliveries_send  # noqa: E402
from apps.papers.models import DailyEntry  # noqa: E402
from apps.users.models import User  # noqa: E402
from apps.votes.models import Vote  # noqa: E402
from bench.measure import QueryCounter, backend_cpu_seconds  # noqa: E402

TARGET_EMAILS_PER_SECOND = 500
DOMAIN = "digest-bench.invalid"
# Whole-hour offsets without DST: every zone's slot is then the same instant, 00:00 UTC, and
# brings the same period in every season (schedule.period_for_slot).
ZONES = [
    "UTC",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "America/Sao_Paulo",
    "America/Bogota",
    "America/Phoenix",
    "Pacific/Honolulu",
]
SEED_DAYS = 30


KINDS = ("anonymous", "account")


@dataclass
class Stats:
    """What sending cost: wall time, CPU of the sender and of its PostgreSQL backend, SQL
    queries, emails handed to the backend, and the renderer's share per kind of subscriber."""

    seconds: float = 0.0
    busy: float = 0.0  # the senders' wall time added up
    backend: float = 0.0  # in the mail backend's send_messages
    app_cpu: float = 0.0
    db_cpu: float = 0.0
    queries: int = 0
    delivered: int = 0
    render_queries: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in KINDS})
    render_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    sizes: dict[str, int] = field(default_factory=dict)

    def add(self, other: Stats) -> None:
        """Another sender's figures (wall time is the caller's)."""
        self.busy += other.busy
        self.backend += other.backend
        self.app_cpu += other.app_cpu
        self.db_cpu += other.db_cpu
        self.queries += other.queries
        self.delivered += other.delivered
        for kind in KINDS:
            self.render_queries[kind] += other.render_queries[kind]
            self.render_seconds[kind] += other.render_seconds[kind]
        self.sizes = self.sizes or other.sizes


def _drain(stats: Stats) -> None:
    """Count what reached the locmem backend and let it go: memory stays at one message."""
    outbox = getattr(mail, "outbox", [])
    stats.delivered += len(outbox)
    outbox.clear()


def send_measured() -> Stats:
    """``deliveries_send`` in this process until nothing is left, as one sender does (in
    batches of DIGEST_BATCH_SIZE), measured."""
    stats, queries = Stats(), QueryCounter()
    original = DigestRenderer.message

    def message(renderer, subscription):
        before, started = queries.count, time.perf_counter()
        result = original(renderer, subscription)
        kind = KINDS[subscription.user_id is not None]
        stats.render_seconds[kind] += time.perf_counter() - started
        stats.render_queries[kind].append(queries.count - before)
        if kind not in stats.sizes:
            stats.sizes[kind] = len(result[0].message().as_bytes())
        return result

    send_messages = locmem.EmailBackend.send_messages

    def hand_over(backend, messages):
        started = time.perf_counter()
        try:
            return send_messages(backend, messages)
        finally:
            stats.backend += time.perf_counter() - started

    wall, app, db = time.perf_counter(), time.process_time(), backend_cpu_seconds()
    with (
        connection.execute_wrapper(queries),
        mock.patch.object(DigestRenderer, "message", message),
        mock.patch.object(locmem.EmailBackend, "send_messages", hand_over),
    ):
        deliveries_send(progress=lambda n: _drain(stats))
    stats.seconds = stats.busy = time.perf_counter() - wall
    stats.app_cpu = time.process_time() - app
    stats.db_cpu = backend_cpu_seconds() - db
    stats.queries = queries.count
    _drain(stats)
    return stats


def _sender_process(_: int) -> Stats:
    try:
        return send_measured()
    finally:
        connections.close_all()


def send_parallel(senders: int) -> Stats:
    """``senders`` processes sending at once, as DIGEST_SENDERS Celery chains do."""
    connections.close_all()  # each process opens its own
    wall = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(senders) as pool:
        results = pool.map(_sender_process, range(senders))
    total = Stats(seconds=time.perf_counter() - wall)
    for result in results:
        total.add(result)
    return total


def cleanup() -> None:
    """The bench's subscriptions, with their deliveries."""
    Subscription.objects.filter(email__endswith=f"@{DOMAIN}").delete()


def digest_day() -> dt.date:
    """The latest day with daily entries whose digest is due by now (at 00:00 UTC next day)."""
    last = (timezone.now() - dt.timedelta(minutes=10)).date() - dt.timedelta(days=1)
    day = DailyEntry.objects.filter(day__lte=last).aggregate(day=Max("day"))["day"]
    if day is None:
        sys.exit("The bench database has no daily entries: run bench/generate.py first.")
    return day


def active_users(limit: int) -> list[int]:
    """The users with the most upvotes and comments in the last SEED_DAYS (the "for you"
    part's seeds), then others to make up ``limit``."""
    since = timezone.now() - dt.timedelta(days=SEED_DAYS)
    activity: dict[int, int] = {}
    for model, owner in ((Vote, "user"), (Comment, "author")):
        rows = (
            model.objects.filter(created_at__gte=since)
            .values(owner)
            .annotate(n=Count("id"))
            .values_list(owner, "n")
        )
        for user_id, n in rows:
            activity[user_id] = activity.get(user_id, 0) + n
    ranked = sorted(activity, key=lambda user_id: -activity[user_id])[:limit]
    if len(ranked) < limit:
        others = User.objects.exclude(pk__in=ranked).order_by("pk").values_list("pk", flat=True)
        ranked += list(others[: limit - len(ranked)])
    return ranked


def subscribe(count: int, accounts: int, now: dt.datetime) -> None:
    """``count`` active subscriptions, ``accounts`` of them of active users, all due at ``now``."""
    user_ids = active_users(accounts)
    if len(user_ids) < accounts:
        sys.exit(f"The bench database has {len(user_ids)} users, fewer than {accounts}.")
    confirmed = now - dt.timedelta(days=2)
    rows = []
    for n in range(count):
        zone = ZONES[n % len(ZONES)]
        # Account holders spread evenly over the list (every fifth at the default share).
        account = n * accounts // count
        user_id = user_ids[account] if (n + 1) * accounts // count > account else None
        rows.append(
            Subscription(
                email=f"reader{n}@{DOMAIN}",
                user_id=user_id,
                status=Subscription.Status.ACTIVE,
                frequency=Frequency.DAILY,
                time_zone=zone,
                delivery_hour=now.astimezone(ZoneInfo(zone)).hour,
                created_at=confirmed,
                confirmed_at=confirmed,
            )
        )
    Subscription.objects.bulk_create(rows, batch_size=2000)


@dataclass
class Round:
    subscribers: int
    accounts: int
    senders: int
    plan_seconds: float
    plan_queries: int
    send: Stats
    for_you_shown: int
    sent_rows: int


def run_round(count: int, accounts: int, senders: int, day: dt.date) -> Round:
    now = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 5), tzinfo=dt.UTC)
    digests_before = set(Digest.objects.values_list("pk", flat=True))
    cleanup()
    subscribe(count, accounts, now)
    queries = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(queries):
        planned = deliveries_plan(frequency=Frequency.DAILY, now=now)
    plan_seconds = time.perf_counter() - started
    if planned.planned != count or [p.start for p in planned.periods] != [day]:
        sys.exit(f"deliveries_plan planned {planned} for {count} subscriptions due for {day}.")
    send = send_measured() if senders == 1 else send_parallel(senders)
    sent = Delivery.objects.filter(
        subscription__email__endswith=f"@{DOMAIN}", status=Delivery.Status.SENT
    )
    digest = Digest.objects.get(frequency=Frequency.DAILY, period_start=day)
    top = len(digest.paper_ids)
    shown = sum(
        len(ids) > top
        for ids in sent.filter(subscription__user__isnull=False).values_list("paper_ids", flat=True)
    )
    result = Round(count, accounts, senders, plan_seconds, queries.count, send, shown, sent.count())
    cleanup()
    Digest.objects.exclude(pk__in=digests_before).delete()
    return result


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _spread(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high} ({statistics.mean(values):.2f})"


def _render_ms(send: Stats, kind: str) -> str:
    count = len(send.render_queries[kind])
    return f"{send.render_seconds[kind] * 1000 / count:.2f}" if count else "-"


def _split_ms(send: Stats) -> str:
    """Mean ms per email: rendering, the backend, the rest (claims, records, commits)."""
    render = sum(send.render_seconds.values())
    rest = send.busy - render - send.backend
    per_email = [value * 1000 / send.delivered for value in (render, send.backend, rest)]
    return " / ".join(f"{value:.2f}" for value in per_email)


HEADER = [
    "subscribers",
    "senders",
    "plan s (queries)",
    "send s",
    "emails/s",
    "CPU app+db ms/email",
    "ms/email render / backend / rest",
    "queries/email",
    "render ms anon / account",
    "render queries anon / account",
    '"for you" shown',
]


def report_row(r: Round) -> bool:
    """Print the round's row; False if an email was lost or sent twice."""
    send = r.send
    sent = send.delivered
    print(
        _row(
            [
                f"{r.subscribers:,} ({r.accounts:,} accounts)",
                f"{r.senders}",
                f"{r.plan_seconds:.2f} ({r.plan_queries})",
                f"{send.seconds:.1f}",
                f"{sent / send.seconds:,.0f}",
                f"{send.app_cpu * 1000 / sent:.2f}+{send.db_cpu * 1000 / sent:.2f}",
                _split_ms(send),
                f"{send.queries / sent:.3f}",
                f"{_render_ms(send, 'anonymous')} / {_render_ms(send, 'account')}",
                f"{_spread(send.render_queries['anonymous'])} / "
                f"{_spread(send.render_queries['account'])}",
                f"{r.for_you_shown:,} of {r.accounts:,}",
            ]
        ),
        flush=True,
    )
    if sent == r.sent_rows == r.subscribers:
        return True
    print(f"  !! {sent:,} emails handed over, {r.sent_rows:,} deliveries recorded as sent")
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1_000, help="the first round's size (0: none)")
    parser.add_argument("--accounts", type=float, default=0.2, help="share linked to users")
    parser.add_argument(
        "--senders",
        type=int,
        default=settings.DIGEST_SENDERS,
        help="processes of the last round (default DIGEST_SENDERS; 1: no such round)",
    )
    args = parser.parse_args()

    day = digest_day()
    rounds = [(size, 1) for size in (args.small, args.subscribers) if size]
    if args.senders > 1 and args.subscribers:
        rounds.append((args.subscribers, args.senders))
    if not rounds:
        sys.exit("Nothing to do: --subscribers and --small are both 0.")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Daily digest of {day}, load average {load}, {os.cpu_count()} CPUs\n")
    print(_row(HEADER))
    print("|---" + "|---:" * (len(HEADER) - 1) + "|")
    ok = True
    try:
        for size, senders in rounds:
            last = run_round(size, round(size * args.accounts), senders, day)
            ok = report_row(last) and ok
    finally:
        cleanup()
    sizes = ", ".join(f"{kind} {size / 1024:.0f} KB" for kind, size in last.send.sizes.items())
    print(f"\nMessage size (MIME, as SMTP would send it): {sizes}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average after: {load}")
    rate = last.send.delivered / last.send.seconds
    verdict = "meets" if rate >= TARGET_EMAILS_PER_SECOND and ok else "MISSES"
    print(f"The last round {verdict} the target of {TARGET_EMAILS_PER_SECOND} emails/s.")
    embedded.release()
    sys.exit(0 if verdict == "meets" else 1)


if __name__ == "__main__":
    main()
