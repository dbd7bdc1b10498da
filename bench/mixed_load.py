"""Mixed load against gunicorn: readers, voters and commenters at once, then a counter check.

    DATABASE_NAME=paperboard_bench .venv/bin/python bench/mixed_load.py --duration 60 --clients 100

Starts gunicorn on the bench database exactly as ``bench/throughput.py`` does (production
settings, ``config/gunicorn.conf.py``, 127.0.0.1 behind a trusted "proxy" that says HTTPS), then
runs ``--clients`` threads for ``--duration`` seconds, each a keep-alive HTTP/1.1 client of one
kind (shares: ``--mix``, default readers 60%, logged-in readers 10%, voters 20%, commenters 10%):

- ``read``: anonymous pages (day, week, trending, a paper, search, the API), each client from
  its own address (``X-Forwarded-For``; 127.0.0.1 is a trusted proxy for the run), as many
  visitors behind a proxy would be;
- ``read-user``: the day page and a paper's page with a session;
- ``vote``: the vote button (htmx POST) on a paper or a comment, toggling;
- ``comment``: a comment (htmx POST) on a paper, now and then a reply to one of its comments.

Logged-in clients are ``--users`` accounts (``mixload-N``: verified email, joined a year ago)
with sessions written straight into the session store and a CSRF cookie + header pair; every
write picks one of them at random, so per-user rate limits (60 votes, 10 comments a minute)
are hit as rarely as with real users and the load is not a wall of 429s. The accounts stay in
the bench database (their votes and comments too); a next run reuses them.

Prints per kind the requests, requests/s, median and p99 latency (ms, as the client sees it,
queueing included) and statuses, then checks that every paper's ``upvotes_count`` and
``comments_count`` and every comment's ``upvotes_count`` equal the rows they count. Exit status
1 on any 5xx, transport error or counter mismatch.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Production settings, gunicorn's start and stop, the bench database: as throughput.py.
import throughput
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from throughput import SITE_HOST, free_port, start_gunicorn, stop_gunicorn, wait_healthy

from apps.comments.models import Comment
from apps.papers.models import DailyEntry, Paper
from apps.users.models import User

USER_PREFIX = "mixload-"
KINDS = ("read", "read-user", "vote", "comment")


# --- Preparation -----------------------------------------------------------------------


def bench_users(count: int) -> list[tuple[str, str]]:
    """(session key, CSRF token) of ``count`` verified accounts, each with a fresh session."""
    from allauth.account.models import EmailAddress

    existing = set(
        User.objects.filter(username__startswith=USER_PREFIX).values_list("username", flat=True)
    )
    joined = timezone.now() - dt.timedelta(days=365)
    created = User.objects.bulk_create(
        [
            User(username=name, email=f"{name}@bench.invalid", date_joined=joined)
            for name in (f"{USER_PREFIX}{i}" for i in range(count))
            if name not in existing
        ]
    )
    for user in created:  # no password: these accounts only ever use the sessions below
        user.set_unusable_password()
    User.objects.bulk_update(created, ["password"])
    users = list(User.objects.filter(username__startswith=USER_PREFIX).order_by("id")[:count])
    have_address = set(
        EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True)
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in users
            if user.pk not in have_address
        ]
    )
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for user in users:
        store = store_class()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append((store.session_key, secrets.token_hex(16)))  # a 32-character secret
    return sessions


def targets() -> dict:
    latest = DailyEntry.objects.aggregate(day=Max("day"))["day"]
    year, week, _ = latest.isocalendar()
    hot = list(Paper.objects.order_by("-upvotes_count").values_list("arxiv_id", flat=True)[:300])
    recent = list(
        DailyEntry.objects.filter(day__gte=latest - dt.timedelta(days=7)).values_list(
            "paper__arxiv_id", flat=True
        )[:2000]
    )
    comments = list(
        Comment.objects.filter(paper__arxiv_id__in=hot[:100], is_deleted=False).values_list(
            "pk", "paper__arxiv_id"
        )[:3000]
    )
    return {
        "pages": [
            "/",
            f"/papers/week/{year}-W{week:02d}",
            "/papers/trending",
            "/papers/search?q=diffusion+models",
            "/papers/search?q=graph+neural",
            "/api/daily_papers",
        ],
        "papers": hot + recent,
        "comments": comments,
    }


# --- The clients ---------------------------------------------------------------------------


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: Counter[str] = Counter()
        self.samples_5xx: list[str] = []

    def add(self, kind: str, status: int, seconds: float, what: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds * 1000)
            self.statuses[kind][status] += 1
            if status >= 500 and len(self.samples_5xx) < 20:
                self.samples_5xx.append(f"{status} {kind} {what}")


class LoadClient(threading.Thread):
    def __init__(self, number: int, kind: str, port: int, plan: dict, stop_at: float, results):
        super().__init__(daemon=True)
        self.kind, self.port, self.plan, self.stop_at, self.results = (
            kind, port, plan, stop_at, results,
        )  # fmt: skip
        self.random = random.Random(number)
        self.address = f"10.{number // 250 % 250}.{number % 250}.{self.random.randint(1, 250)}"
        self.conn: http.client.HTTPConnection | None = None

    def headers(self, session: tuple[str, str] | None) -> dict[str, str]:
        headers = {
            "Host": SITE_HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Accept-Encoding": "gzip",
        }
        if session:
            key, csrf = session
            headers["Cookie"] = (
                f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}"
            )
            headers["X-CSRFToken"] = csrf
            headers["Origin"] = f"https://{SITE_HOST}"
        return headers

    def send(self, method: str, path: str, session=None, body: dict | None = None) -> None:
        headers = self.headers(session)
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["HX-Request"] = "true"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as exc:
            with self.results.lock:
                self.results.errors[f"{self.kind}: {type(exc).__name__}"] += 1
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return
        self.results.add(self.kind, status, time.perf_counter() - started, f"{method} {path}")

    def run(self) -> None:
        plan, rnd = self.plan, self.random
        while time.monotonic() < self.stop_at:
            if self.kind == "read":
                if rnd.random() < 0.5:
                    self.send("GET", rnd.choice(plan["pages"]))
                else:
                    self.send("GET", f"/papers/{rnd.choice(plan['papers'])}")
            elif self.kind == "read-user":
                path = rnd.choice(["/", f"/papers/{rnd.choice(plan['papers'])}"])
                self.send("GET", path, rnd.choice(plan["sessions"]))
            elif self.kind == "vote":
                session = rnd.choice(plan["sessions"])
                if rnd.random() < 0.7 or not plan["comments"]:
                    self.send("POST", f"/papers/{rnd.choice(plan['papers'])}/vote", session, {})
                else:
                    pk, _ = rnd.choice(plan["comments"])
                    self.send("POST", f"/comments/{pk}/vote", session, {})
            else:
                session = rnd.choice(plan["sessions"])
                body = {"body": f"Load test comment {rnd.getrandbits(40):x}: looks solid."}
                if rnd.random() < 0.3 and plan["comments"]:
                    pk, arxiv_id = rnd.choice(plan["comments"])
                    body["parent"] = str(pk)
                else:
                    arxiv_id = rnd.choice(plan["papers"])
                self.send("POST", f"/papers/{arxiv_id}/comments", session, body)


# --- The counter check ---------------------------------------------------------------------

COUNTER_CHECKS = {
    "papers.upvotes_count": """
        SELECT count(*) FROM papers_paper p
        WHERE p.upvotes_count <> (SELECT count(*) FROM votes_vote v WHERE v.paper_id = p.id)""",
    "papers.comments_count": """
        SELECT count(*) FROM papers_paper p
        WHERE p.comments_count <> (
            SELECT count(*) FROM comments_comment c
            WHERE c.paper_id = p.id AND NOT c.is_deleted AND c.visibility = %s)""",
    "comments.upvotes_count": """
        SELECT count(*) FROM comments_comment c
        WHERE c.upvotes_count <> (
            SELECT count(*) FROM votes_commentvote v WHERE v.comment_id = c.id)""",
}


def counter_mismatches() -> dict[str, int]:
    found = {}
    with connection.cursor() as cursor:
        for name, sql in COUNTER_CHECKS.items():
            cursor.execute(sql, [Comment.Visibility.VISIBLE] if "%s" in sql else [])
            found[name] = cursor.fetchone()[0]
    return found


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM votes_vote), (SELECT count(*) FROM votes_commentvote),"
            " (SELECT count(*) FROM comments_comment)"
        )
        votes, comment_votes, comments = cursor.fetchone()
    return {"votes": votes, "comment votes": comment_votes, "comments": comments}


# --- Main ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (threads)")
    parser.add_argument("--users", type=int, default=2000, help="accounts the writers rotate")
    parser.add_argument(
        "--mix", default="60,10,20,10", help="shares of read,read-user,vote,comment clients"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("DATABASE_NAME must name a bench database (its name contains 'bench').")
    throughput.wait_for_data(0, 60)
    throughput.warn_pending_migrations()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)

    shares = [int(x) for x in args.mix.split(",")]
    kinds = [kind for kind, share in zip(KINDS, shares, strict=True) for _ in range(share)]
    client_kinds = [kinds[i * len(kinds) // args.clients] for i in range(args.clients)]
    plan = targets()
    print(f"Preparing {args.users} accounts and sessions...")
    plan["sessions"] = bench_users(args.users)
    before = row_counts()

    env = os.environ | {
        "PGAPPNAME": throughput.APPLICATION_NAME,
        "WEB_ACCESS_LOG": "0",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        # 127.0.0.1 is the "proxy": each client's X-Forwarded-For is its address for the
        # per-client limits of anonymous pages.
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    results = Results()
    with tempfile.TemporaryDirectory(prefix="mixed-load-") as scratch:
        log = Path(scratch) / "gunicorn.log"
        port = free_port()
        server = start_gunicorn(port, env, log)
        try:
            wait_healthy(server, port, log)
            mix = ", ".join(f"{kind} {client_kinds.count(kind)}" for kind in KINDS)
            print(
                f"{args.clients} clients ({mix}) for {args.duration} s; "
                f"load average at start {os.getloadavg()[0]:.2f}"
            )
            stop_at = time.monotonic() + args.duration
            clients = [
                LoadClient(i, kind, port, plan, stop_at, results)
                for i, kind in enumerate(client_kinds)
            ]
            started = time.monotonic()
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            elapsed = time.monotonic() - started
        finally:
            stop_gunicorn(server)
        if any(code >= 500 for counts in results.statuses.values() for code in counts):
            print("gunicorn's log (last 30 lines):")
            print("\n".join(log.read_text(errors="replace").splitlines()[-30:]))

    print(f"\nLoad average at the end: {os.getloadavg()[0]:.2f}\n")
    print("| kind | requests | req/s | median ms | p99 ms | statuses |")
    print("|---|---:|---:|---:|---:|---|")
    total = 0
    for kind in KINDS:
        latencies = results.latencies.get(kind, [])
        total += len(latencies)
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(results.statuses[kind].items()))
        print(
            f"| {kind} | {len(latencies):,} | {len(latencies) / elapsed:.1f} "
            f"| {statistics.median(latencies) if latencies else 0:.1f} "
            f"| {percentile(latencies, 0.99):.1f} | {statuses} |"
        )
    every = [x for kind in KINDS for x in results.latencies.get(kind, [])]
    all_statuses = sum(results.statuses.values(), Counter())
    print(
        f"| all | {total:,} | {total / elapsed:.1f} | {statistics.median(every):.1f} "
        f"| {percentile(every, 0.99):.1f} "
        f"| {', '.join(f'{s}: {n}' for s, n in sorted(all_statuses.items()))} |"
    )
    errors_5xx = sum(n for s, n in all_statuses.items() if s >= 500)
    print(f"\n5xx: {errors_5xx}; transport errors: {dict(results.errors) or 0}")
    for sample in results.samples_5xx:
        print("  " + sample)
    after = row_counts()
    print("Rows written: " + ", ".join(f"{k} {after[k] - before[k]:+,}" for k in after))
    mismatches = counter_mismatches()
    print(
        "Counter check (rows whose denormalised count differs from the rows it counts): "
        + ", ".join(f"{name} {n}" for name, n in mismatches.items())
    )
    with contextlib.suppress(Exception):
        connection.close()
    sys.exit(1 if errors_5xx or results.errors or any(mismatches.values()) else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("Interrupted: gunicorn stopped.")
