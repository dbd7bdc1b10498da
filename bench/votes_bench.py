"""Vote throughput: 2 gunicorn workers, 50 concurrent clients toggling upvotes over HTTP.

    .venv/bin/python bench/votes_bench.py [--seconds 10] [--clients 50] [--worker-class sync]

Uses the database and Redis the settings point at (the embedded ones by default). It creates
bench users (``bench-voter-N``) and papers (ids ``0001.NNNNN``), logs every user in with a
real session, starts gunicorn, and has each client toggle votes as its own users over
keep-alive HTTP with CSRF tokens, exactly as the htmx button does. Every (user, paper) pair
belongs to one client, so the final state of each pair is known from the responses. After
the run it checks that the stored votes are exactly the expected ones (no lost or double
votes) and that every paper's count equals its rows, then removes the bench data.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production-like settings (no DEBUG); the web server gets the same secret for the sessions.
BENCH_ENV = {
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "http://127.0.0.1",
    "LOG_LEVEL": "WARNING",
}
if not os.environ.get("DATABASE_URL"):
    # The embedded PostgreSQL, reached like an external one: through DATABASE_URL, which also
    # turns on persistent connections (conn_max_age) as in production.
    from config import embedded

    embedded.start()
    _db = embedded.database_settings()
    BENCH_ENV["DATABASE_URL"] = (
        f"postgres://{_db['USER']}@{quote(_db['HOST'], safe='')}/{_db['NAME']}"
    )
os.environ.update(BENCH_ENV)

import django  # noqa: E402
import psutil  # noqa: E402

PAPER_PREFIX = "0001."
USER_PREFIX = "bench-voter-"
CSRF_TOKEN = secrets.token_hex(16)  # 32 alphanumerics: a valid unmasked CSRF secret


def setup_data(users: int, papers: int) -> tuple[list[str], list[str]]:
    """Bench users with live sessions, and bench papers; returns (session keys, arXiv ids)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from apps.papers.models import Paper
    from apps.users.models import User

    cleanup()
    voters = User.objects.bulk_create(
        [User(username=f"{USER_PREFIX}{n}", email=f"v{n}@bench.local") for n in range(users)]
    )
    for voter in voters:
        voter.set_unusable_password()
    User.objects.bulk_update(voters, ["password"])
    EmailAddress.objects.bulk_create(  # voting needs a verified address
        [
            EmailAddress(user=voter, email=voter.email, verified=True, primary=True)
            for voter in voters
        ]
    )
    sessions = []
    for voter in voters:
        store = SessionStore()
        store[SESSION_KEY] = str(voter.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = voter.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    ids = [f"{PAPER_PREFIX}{n:05d}" for n in range(papers)]
    Paper.objects.bulk_create(
        [
            Paper(
                arxiv_id=arxiv_id, title=f"Bench paper {n}", abstract="-", published_on="2000-01-01"
            )
            for n, arxiv_id in enumerate(ids)
        ]
    )
    return sessions, ids


def cleanup(session_keys: list[str] | None = None) -> None:
    from django.contrib.sessions.models import Session

    from apps.papers.models import Paper
    from apps.users.models import User

    Paper.objects.filter(arxiv_id__startswith=PAPER_PREFIX).delete()
    User.objects.filter(username__startswith=USER_PREFIX).delete()
    Session.objects.filter(session_key__in=session_keys or []).delete()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--threads", str(threads),
        "--log-level", "warning", "--keep-alive", "5",
    ]  # fmt: skip
    env = os.environ | BENCH_ENV | {"SITE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed command
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


class Client:
    """One concurrent client (a coroutine on one keep-alive connection): toggles votes of its
    own users on random papers. asyncio keeps the load generator light, so the two cores
    mostly serve requests instead of running 50 client threads."""

    def __init__(self, port: int, sessions: list[str], paper_ids: list[str]) -> None:
        self.port, self.sessions, self.paper_ids = port, sessions, paper_ids
        self.state: dict[tuple[str, str], bool] = {}
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}
        self.random = random.Random()

    def _request(self, session: str, paper_id: str) -> bytes:
        return (
            f"POST /papers/{paper_id}/vote HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{self.port}\r\n"
            f"Cookie: sessionid={session}; csrftoken={CSRF_TOKEN}\r\n"
            f"X-CSRFToken: {CSRF_TOKEN}\r\n"
            "HX-Request: true\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()

    async def run(self, stop_at: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        while time.monotonic() < stop_at:
            session = self.random.choice(self.sessions)
            paper_id = self.random.choice(self.paper_ids)
            started = time.perf_counter()
            try:
                writer.write(self._request(session, paper_id))
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length, close = 0, False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"connection" and value.strip().lower() == b"close":
                        close = True
                body = await reader.readexactly(length)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.errors[-1] = self.errors.get(-1, 0) + 1
                close, status, body = True, 0, b""
            if status:
                self.latencies.append(time.perf_counter() - started)
            if status == 200:
                self.state[(session, paper_id)] = b"is-voted" in body.split(b">", 1)[0]
            elif status:
                self.errors[status] = self.errors.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.close()


async def run_clients(clients: list[Client], seconds: float) -> float:
    started = time.monotonic()
    await asyncio.gather(*(client.run(started + seconds) for client in clients))
    return time.monotonic() - started


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU time of these processes and their children (alive ones)."""
    total = 0.0
    for process in processes:
        for member in [process, *process.children(recursive=True)]:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def postgres_postmaster() -> psutil.Process | None:
    """This site's PostgreSQL server (its own instance, so other sites' load is not counted)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = psutil.Process(cursor.fetchone()[0])
    return backend.parent()


def redis_server() -> psutil.Process:
    from django.core.cache import cache

    return psutil.Process(cache._cache.get_client().info("server")["process_id"])


def verify(clients: list[Client], session_users: dict[str, int]) -> tuple[int, int, int]:
    """(lost or extra votes, papers whose count differs from their rows, votes stored)."""
    from django.db.models import Count

    from apps.papers.models import Paper
    from apps.votes.models import Vote

    expected = {
        (session_users[session], paper_id)
        for client in clients
        for (session, paper_id), voted in client.state.items()
        if voted
    }
    stored = set(
        Vote.objects.filter(paper__arxiv_id__startswith=PAPER_PREFIX).values_list(
            "user_id", "paper__arxiv_id"
        )
    )
    wrong_counts = (
        Paper.objects.filter(arxiv_id__startswith=PAPER_PREFIX)
        .annotate(rows=Count("votes"))
        .exclude(upvotes_count=django.db.models.F("rows"))
        .count()
    )
    return len(expected ^ stored), wrong_counts, len(stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4)
    # Enough voters that no one reaches the per-user vote rate limit during the run.
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=20)
    args = parser.parse_args()

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore

    sessions, paper_ids = setup_data(args.users, args.papers)
    session_users = {key: int(SessionStore(session_key=key)["_auth_user_id"]) for key in sessions}
    port = free_port()
    server = start_server(port, args.workers, args.worker_class, args.threads)
    try:
        clients = [
            Client(port, sessions[n :: args.clients], paper_ids) for n in range(args.clients)
        ]
        measured = [psutil.Process(server.pid)]
        postmaster = postgres_postmaster()
        if postmaster is not None:
            measured.append(postmaster)
        measured.append(redis_server())
        cpu_before = cpu_seconds(measured), time.process_time()
        elapsed = asyncio.run(run_clients(clients, args.seconds))
        server_cpu = cpu_seconds(measured) - cpu_before[0]
        client_cpu = time.process_time() - cpu_before[1]
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies = sorted(latency for client in clients for latency in client.latencies)
    errors: dict[int, int] = {}
    for client in clients:
        for status, count in client.errors.items():
            errors[status] = errors.get(status, 0) + count
    ok = len(latencies) - sum(count for status, count in errors.items() if status != -1)
    mismatched, wrong_counts, stored = verify(clients, session_users)
    print(
        f"{args.workers} gunicorn {args.worker_class} workers"
        f"{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
        f"{args.clients} concurrent clients, {elapsed:.1f} s"
    )
    print(f"vote requests: {len(latencies)} ({ok} toggled), errors: {errors or 'none'}")
    print(f"throughput: {len(latencies) / elapsed:.0f} requests/s")
    # Other programs on the machine take CPU too; the CPU cost per request says what the
    # site would do with the machine to itself.
    requests = max(len(latencies), 1)
    per_request = (server_cpu + client_cpu) / requests
    print(
        f"CPU per request: {server_cpu / requests * 1000:.2f} ms server "
        f"(gunicorn + PostgreSQL + Redis), {client_cpu / requests * 1000:.2f} ms load generator"
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; with the machine to "
        f"itself that is {os.cpu_count() / per_request:.0f} requests/s"
    )
    print(
        f"latency ms: median {statistics.median(latencies) * 1000:.1f}, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f}, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f}"
    )
    print(
        f"votes stored: {stored}; lost or double votes: {mismatched}; "
        f"papers whose count differs from their votes: {wrong_counts}"
    )
    cleanup(sessions)
    if mismatched or wrong_counts:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
