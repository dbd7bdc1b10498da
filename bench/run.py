"""Time the public pages, the API and the moderation pages against the bench database.

    python bench/run.py                      # 200 requests per page, Markdown table on stdout
    python bench/run.py --requests 50 --only search,api-search
    python bench/run.py --database paperboard_bench1m --cache

Each request goes through the whole Django stack in this process (middleware, views, templates,
database) with Django's test Client, DEBUG off; the time is the server's time to build the
response, without network. Targets are drawn at random (days, weeks, months, papers, queries)
so that caches and PostgreSQL's buffers see a realistic spread, after a warm-up round. The
moderators' pages (MODERATOR_PAGES) are requested by a client logged in as a moderator, the
USER_PAGES by a member with about 500 upvotes, every other page anonymously. The shared page
cache (apps/core/shared_cache.py) is off unless ``--cache``: uncached is the harder case, and
what a logged-in reader always gets. See bench/README.md.
"CPU app+db" is the mean CPU time per request of this process and of its PostgreSQL backend
(read from /proc), which other load on the machine does not inflate the way it does wall time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_NAME", "paperboard_bench"),
        help="the bench database (default: DATABASE_NAME, else paperboard_bench)",
    )
    parser.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="serve anonymous pages through the shared page cache (default: --no-cache)",
    )
    return parser.parse_args()


# Read before Django starts: they choose the database and the cache setting.
ARGS = _arguments() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ["DATABASE_NAME"] = ARGS.database
    os.environ["SHARED_CACHE"] = "1" if ARGS.cache else "0"
os.environ.setdefault("DATABASE_NAME", "paperboard_bench")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

import django  # noqa: E402

from config import embedded  # noqa: E402

# Settings only say where the embedded servers are (when DATABASE_URL/REDIS_URL are unset);
# this script is one of their users until it exits, like manage.py.
embedded.start()
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Max, Min  # noqa: E402
from django.db.models.functions import Abs  # noqa: E402
from django.test import Client  # noqa: E402

from apps.moderation.models import ModerationAction  # noqa: E402
from apps.papers.models import DailyEntry, Paper  # noqa: E402
from apps.users.models import User  # noqa: E402
from apps.users.roles import MODERATORS_GROUP  # noqa: E402
from apps.votes.models import Vote  # noqa: E402
from bench.measure import QueryCounter, backend_cpu_seconds, percentile  # noqa: E402

TARGET_MEDIAN_MS = 30
TARGET_P95_MS = 80
# Requested by a logged-in moderator; every other page by an anonymous visitor.
MODERATOR_PAGES = {
    "mod-home",
    "mod-flags",
    "mod-submissions",
    "mod-user",
    "paper-as-moderator",
}
# Requested by a member with about USER_UPVOTES upvotes: what logging in costs.
USER_PAGES = {"day-user", "paper-user"}
USER_UPVOTES = 500

SEARCH_QUERIES = [
    "diffusion",
    "language models",
    "transformer attention",
    '"large language models"',
    "reinforcement learning from human feedback",
    "transf*",
    "gaussian splat",
    "video generation benchmark",
    "robot manipulation policy",
    "mixture of experts quantization",
    "protein",
    "zero-shot",
    "Wang",
    "kalomi",
    "theorem proof math",
    "hallucination -vision",
]


def _sample(rng: random.Random) -> dict[str, Callable[[], str]]:
    bounds = DailyEntry.objects.aggregate(first=Min("day"), last=Max("day"))
    days = list(DailyEntry.objects.values_list("day", flat=True).distinct())
    ids = list(Paper.objects.order_by("?").values_list("arxiv_id", flat=True)[:2000])
    if not days or not ids:
        sys.exit("The bench database is empty: run bench/generate.py first.")
    print(f"Data: {Paper.objects.count()} papers, days {bounds['first']} .. {bounds['last']}")

    def week() -> str:
        year, number, _ = rng.choice(days).isocalendar()
        return f"{year}-W{number:02d}"

    def month() -> str:
        return rng.choice(days).strftime("%Y-%m")

    return {
        "day": lambda: f"/papers/date/{rng.choice(days).isoformat()}",
        "week": lambda: f"/papers/week/{week()}",
        "month": lambda: f"/papers/month/{month()}",
        "latest": lambda: "/papers",
        "trending": lambda: "/papers/trending",
        "paper": lambda: f"/papers/{rng.choice(ids)}",
        "paper-md": lambda: f"/papers/{rng.choice(ids)}.md",
        "search": lambda: f"/papers/search?q={rng.choice(SEARCH_QUERIES)}",
        "search-p2": lambda: f"/papers/search?q={rng.choice(SEARCH_QUERIES)}&page=2",
        "api-daily": lambda: f"/api/daily_papers?date={rng.choice(days).isoformat()}",
        "api-daily-latest": lambda: "/api/daily_papers",
        "api-week-trending": lambda: f"/api/daily_papers?week={week()}&sort=trending",
        "api-month": lambda: f"/api/daily_papers?month={month()}&limit=100&p=1",
        "api-paper": lambda: f"/api/papers/{rng.choice(ids)}",
        "api-search": lambda: f"/api/papers/search?q={rng.choice(SEARCH_QUERIES)}",
        "feed-daily": lambda: "/feeds/daily.rss",
        "feed-trending": lambda: "/feeds/trending.atom",
        **_profile_sample(rng),
        "day-user": lambda: "/papers",
        "paper-user": lambda: f"/papers/{rng.choice(ids)}",
        **_moderation_sample(rng, ids),
    }


def _profile_sample(rng: random.Random) -> dict[str, Callable[[], str]]:
    """Profiles: of members who submitted papers (the submitted tab), of any member (their
    upvotes, their comments)."""
    submitters = list(
        User.objects.filter(pk__in=DailyEntry.objects.values("submitted_by"))
        .order_by("?")
        .values_list("username", flat=True)[:500]
    )
    voters = list(User.objects.order_by("?").values_list("username", flat=True)[:500])
    if not submitters:
        return {}
    return {
        "profile": lambda: f"/users/{rng.choice(submitters)}",
        "profile-upvoted": lambda: f"/users/{rng.choice(voters)}/upvoted",
        "profile-comments": lambda: f"/users/{rng.choice(voters)}/comments",
    }


def _moderation_sample(rng: random.Random, ids: list[str]) -> dict[str, Callable[[], str]]:
    """The public log (anonymous) and the moderators' pages (see MODERATOR_PAGES)."""
    log = ModerationAction.objects.order_by()
    names = sorted(
        log.exclude(moderator_name="").values_list("moderator_name", flat=True).distinct()
    )
    types = [value for value, _ in ModerationAction.TargetType.choices]
    subjects = list(
        User.objects.filter(pk__in=log.values("subject_user"))
        .order_by("?")
        .values_list("username", flat=True)[:500]
    )
    if not names or not subjects:
        return {}
    print(f"Moderation log: {log.count()} entries by {len(names)} moderators")
    return {
        "mod-log": lambda: "/moderation/log",
        "mod-log-moderator": lambda: f"/moderation/log?moderator={rng.choice(names)}",
        "mod-log-type": lambda: f"/moderation/log?type={rng.choice(types)}",
        "mod-log-p5": lambda: "/moderation/log?page=5",
        "mod-feed": lambda: "/moderation/log/feed",
        "mod-home": lambda: "/moderation/",
        "mod-flags": lambda: "/moderation/flags",
        "mod-submissions": lambda: "/moderation/submissions",
        "mod-user": lambda: f"/moderation/users/{rng.choice(subjects)}",
        "paper-as-moderator": lambda: f"/papers/{rng.choice(ids)}",
    }


def _moderator_client(rng: random.Random) -> Client:
    """A client logged in as one of the moderators (members of the moderators group)."""
    moderators = list(User.objects.filter(groups__name=MODERATORS_GROUP).order_by("pk"))
    if not moderators:
        sys.exit("No moderators in the bench database: run bench/generate.py again.")
    client = Client()
    client.force_login(rng.choice(moderators))
    return client


def _user_client() -> Client:
    """A client logged in as the member (not a moderator) whose number of upvotes is nearest
    USER_UPVOTES."""
    moderators = User.objects.filter(groups__name=MODERATORS_GROUP).values("pk")
    voter = (
        Vote.objects.exclude(user__in=moderators)
        .values("user")
        .annotate(n=Count("pk"))
        .filter(user__is_banned=False, n__lte=2 * USER_UPVOTES)
        .order_by(Abs(F("n") - USER_UPVOTES), "user")
        .first()
    )
    if voter is None:
        sys.exit("No votes in the bench database: run bench/generate.py again.")
    user = User.objects.get(pk=voter["user"])
    print(f"Logged-in pages as {user.username} ({voter['n']} upvotes)")
    client = Client()
    client.force_login(user)
    return client


def measure(client: Client, make_url: Callable[[], str], requests: int, warmup: int) -> dict:
    times, queries, statuses = [], [], set()
    app_cpu = db_cpu = 0.0
    for i in range(warmup + requests):
        if i == warmup:
            app_cpu, db_cpu = time.process_time(), backend_cpu_seconds()
        url = make_url()
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = (time.perf_counter() - started) * 1000
        statuses.add(response.status_code)
        if i >= warmup:
            times.append(elapsed)
            queries.append(counter.count)
    return {
        "app_cpu": (time.process_time() - app_cpu) * 1000 / requests,
        "db_cpu": (backend_cpu_seconds() - db_cpu) * 1000 / requests,
        "median": statistics.median(times),
        "p95": percentile(times, 0.95),
        "max": max(times),
        "queries": max(queries),
        "statuses": sorted(statuses),
    }


def main() -> None:
    args = ARGS

    # DEBUG is off, as in production: static URLs come from the collected manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    pages = _sample(rng)
    only = [name for name in args.only.split(",") if name]
    wanted = {name for name in pages if not only or name in only}
    clients = {"anonymous": Client()}
    if MODERATOR_PAGES & wanted:
        # Its own random stream: the other pages draw the same targets as before.
        clients["moderator"] = _moderator_client(random.Random(args.seed + 1))
    if USER_PAGES & wanted:
        clients["user"] = _user_client()
    cache = "on" if settings.SHARED_CACHE_ENABLED else "off"
    print(f"\n{args.requests} requests per page (after {args.warmup} warm-up), times in ms")
    print(f"Database {settings.DATABASES['default']['NAME']}, shared page cache {cache}\n")
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| page | median | p95 | max | CPU app+db | queries | status | target |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    failures = 0
    for name, make_url in pages.items():
        if name not in wanted:
            continue
        role = "moderator" if name in MODERATOR_PAGES else "user" if name in USER_PAGES else ""
        client = clients[role or "anonymous"]
        result = measure(client, make_url, args.requests, args.warmup)
        ok = result["median"] < TARGET_MEDIAN_MS and result["p95"] < TARGET_P95_MS
        ok = ok and result["statuses"] in ([200], [302])
        failures += not ok
        statuses = ",".join(str(s) for s in result["statuses"])
        print(
            f"| {name} | {result['median']:.1f} | {result['p95']:.1f} | {result['max']:.1f} "
            f"| {result['app_cpu']:.1f}+{result['db_cpu']:.1f} "
            f"| {result['queries']} | {statuses} | {'ok' if ok else 'MISSED'} |",
            flush=True,
        )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
