"""Throughput: requests per second of a static file and of each page through production gunicorn.

    .venv/bin/python bench/throughput.py                  # wrk -t2 -c16 -d10s per row
    .venv/bin/python bench/throughput.py --duration 5 --only day,user-day
    .venv/bin/python bench/throughput.py --no-cache       # gunicorn with SHARED_CACHE=0
    DATABASE_NAME=paperboard_bench1m .venv/bin/python bench/throughput.py --papers 1000000

Starts gunicorn as production does (``config/gunicorn.conf.py``: gthread, WEB_CONCURRENCY
workers x WEB_THREADS threads; only the address is bound to 127.0.0.1 and a free port) with
production settings (DEBUG off, static files collected into the whitenoise manifest, HTTPS as
behind the TLS proxy) on the bench database (``paperboard_bench``, or ``DATABASE_NAME``, on the
server of DATABASE_URL or the embedded one) and the Redis of REDIS_URL. It waits until
bench/generate.py has finished filling the database (``--papers`` rows). Then, for each row, a
warm-up and a measured run of wrk (installed with apt-get when missing and run as root), every
request with ``X-Forwarded-Proto: https`` and ``Accept-Encoding: gzip`` like a browser behind
the proxy; the logged-in rows send the session cookie of a bench user (``throughput-bench``,
created for the run and removed afterwards).

Rows (``--only``, comma-separated; the static file is always measured, the others are compared
with it): static, day (``/``, the latest day), week, trending, paper (the most upvoted paper),
search, api-daily, user-day and user-paper (logged in).

"CPU ms/req" is the CPU time (user + system) used during the measured run by gunicorn (master
and workers), by the PostgreSQL backends of its connections (found by their application_name)
and by the Redis server, divided by the requests served: unlike req/s, it does not depend on
what else the machine is doing (the Redis server is shared by everything using it, though).

Exit status 1 when a page misses its target (anonymous day, week, trending, paper and API daily
list at least 0.5x the static file's req/s, the logged-in day at least 0.1x) or a response is
not 2xx/3xx. The logged-in day's median server time (target 10 ms) is measured by bench/run.py.
See bench/README.md, "Throughput".
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
SITE_HOST = "bench.invalid"
# Names the PostgreSQL backends of gunicorn's connections (libpq reads PGAPPNAME).
APPLICATION_NAME = f"paperboard-throughput-{os.getpid()}"
BENCH_USERNAME = "throughput-bench"

# Production settings, for this process (sessions, collectstatic) and for gunicorn.
os.environ.setdefault("DATABASE_NAME", "paperboard_bench")
BENCH_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "SITE_URL": f"https://{SITE_HOST}",
    "ALLOWED_HOSTS": f"{SITE_HOST},127.0.0.1",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}
os.environ.update(BENCH_ENV)

import django  # noqa: E402
import psutil  # noqa: E402

from config import embedded  # noqa: E402

# The embedded servers for what DATABASE_URL / REDIS_URL do not name, until this script exits.
embedded.start()
if not os.environ.get("DATABASE_URL"):
    # The embedded PostgreSQL, reached through DATABASE_URL as production reaches its server:
    # that also gives persistent connections (conn_max_age).
    _db = embedded.database_settings()
    os.environ["DATABASE_URL"] = (
        f"postgres://{_db['USER']}@{quote(_db['HOST'], safe='')}/{_db['NAME']}"
    )
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.db.models import Max  # noqa: E402

from apps.papers.models import DailyEntry, Paper  # noqa: E402
from apps.users.models import User  # noqa: E402

# Pages compared with the static file: the minimum share of its req/s.
TARGETS = {
    "day": 0.5,
    "week": 0.5,
    "trending": 0.5,
    "paper": 0.5,
    "api-daily": 0.5,
    "user-day": 0.1,
}
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, '
    .. '"socket_errors": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Row:
    name: str
    path: str
    logged_in: bool = False
    status: int = 0
    result: dict = field(default_factory=dict)


# --- Preparation -----------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk executable, installed with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            "wrk is not installed: `sudo apt-get install wrk` (Debian, Ubuntu), "
            "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk."
        )
    print("Installing wrk (apt-get install -y wrk)", flush=True)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}

    def apt_get(*arguments: str) -> subprocess.CompletedProcess:
        command = ["apt-get", "-q", *arguments]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603

    installed = apt_get("install", "-y", "wrk")
    if installed.returncode != 0:  # the package lists may be missing or stale
        apt_get("update")
        installed = apt_get("install", "-y", "wrk")
    if installed.returncode != 0:
        sys.exit(f"apt-get install wrk failed:\n{installed.stdout}{installed.stderr}")
    return shutil.which("wrk") or sys.exit("apt-get did not install wrk")


def data_state(papers: int) -> str | None:
    """None when the bench database is complete, else what is missing."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM papers_paper")
            count = cursor.fetchone()[0]
            # At least: other benchmarks add their own papers (discussion_bench.py's).
            if papers and count < papers:
                return f"{count} papers, expecting {papers} (--papers)"
            if not count:
                return "no papers"
            cursor.execute("SELECT EXISTS (SELECT 1 FROM papers_paper WHERE search_vector IS NULL)")
            if cursor.fetchone()[0]:
                return "search vectors not filled yet"
            # generate.py's steps: COPY, ANALYZE, the refresh UPDATEs, VACUUM ANALYZE.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'active' "
                "AND query ~* '^\\s*(copy|truncate|analyze|vacuum|update|insert|delete)'"
            )
            if cursor.fetchone()[0]:
                return "being written (bench/generate.py running?)"
    except DatabaseError as error:
        connection.close()
        return f"not readable yet ({str(error).strip().splitlines()[0]})"
    return None


def wait_for_data(papers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    quiet_checks, last = 0, None
    while quiet_checks < 2:  # twice in a row: generate.py pauses between its steps
        state = data_state(papers)
        quiet_checks = quiet_checks + 1 if state is None else 0
        if state and state != last:
            print(f"Waiting for {connection.settings_dict['NAME']}: {state}", flush=True)
        last = state
        if state and time.monotonic() > deadline:
            sys.exit(f"The bench database is not ready after {timeout:.0f} s: {state}")
        if quiet_checks < 2:
            time.sleep(3 if state is None else 10)


def warn_pending_migrations() -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
        print(
            f"Warning: {connection.settings_dict['NAME']} lacks migrations ({names}); pages "
            "may fail. bench/generate.py applies them.",
            flush=True,
        )


def bench_session() -> tuple[str, str]:
    """(session key, username) of the bench user, logged in with a real session."""
    user, _ = User.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"email": f"{BENCH_USERNAME}@bench.invalid"}
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key, user.username


def remove_bench_user(session_key: str | None) -> None:
    if session_key:
        import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()
    User.objects.filter(username=BENCH_USERNAME).delete()


def rows(only: set[str]) -> list[Row]:
    latest = DailyEntry.objects.aggregate(day=Max("day"))["day"]
    popular = Paper.objects.order_by("-upvotes_count", "id").values_list("arxiv_id", flat=True)[0]
    year, week, _ = latest.isocalendar()
    static = staticfiles_storage.url("vendor/katex/katex.min.js")
    print(f"Latest day {latest}, most upvoted paper {popular}")
    every = [
        Row("static", static),
        Row("day", "/"),
        Row("week", f"/papers/week/{year}-W{week:02d}"),
        Row("trending", "/papers/trending"),
        Row("paper", f"/papers/{popular}"),
        Row("search", "/papers/search?q=diffusion+models"),
        Row("api-daily", "/api/daily_papers"),
        Row("user-day", "/", logged_in=True),
        Row("user-paper", f"/papers/{popular}", logged_in=True),
    ]
    unknown = only - {row.name for row in every}
    if unknown:
        sys.exit(f"Unknown rows: {', '.join(sorted(unknown))}")
    return [row for row in every if not only or row.name in only or row.name == "static"]


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
        "--bind", f"127.0.0.1:{port}", "config.wsgi:application",
    ]  # fmt: skip
    with log.open("wb") as output:
        # Its own session: a Ctrl-C reaches this script only, which then stops it.
        return subprocess.Popen(  # noqa: S603 - fixed command
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # graceful: the master stops its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, body
    finally:
        conn.close()


def wait_healthy(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        with contextlib.suppress(OSError):
            if get(port, "/healthz", {"Host": SITE_HOST})[0] == 200:
                return
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:]
    sys.exit(f"gunicorn did not answer /healthz with 200:\n{tail}")


# --- Measuring ---------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by gunicorn's processes, its PostgreSQL backends and Redis.

    A thread samples every process's cumulative CPU time twice a second, so a backend that
    ends during the run (connections are recycled after CONN_MAX_AGE) loses at most its last
    half second, and one that starts is counted from zero.
    """

    def __init__(self, server: subprocess.Popen) -> None:
        self.gunicorn = psutil.Process(server.pid)
        self.redis = self._redis()
        self.db_measured = True

    @staticmethod
    def _redis() -> psutil.Process | None:
        with contextlib.suppress(Exception):
            process = psutil.Process(cache._cache.get_client().info("server")["process_id"])
            if "redis" in process.name():
                return process
        return None  # not on this machine

    def _processes(self) -> dict[int, tuple[str, psutil.Process]]:
        found = {p.pid: ("app", p) for p in [self.gunicorn, *self.gunicorn.children(True)]}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APPLICATION_NAME]
            )
            for (pid,) in cursor.fetchall():
                try:
                    backend = psutil.Process(pid)
                    if "postgres" in backend.name():
                        found[pid] = ("db", backend)
                        continue
                except psutil.NoSuchProcess:
                    pass
                self.db_measured = False  # the server is on another machine
        if self.redis is not None:
            found[self.redis.pid] = ("redis", self.redis)
        return found

    def _sample(self) -> None:
        for pid, (kind, process) in self._processes().items():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used = times.user + times.system
            if pid not in self.first:
                new = process.create_time() >= self.started
                self.first[pid] = (kind, 0.0 if new else used)
            self.last[pid] = used

    def __enter__(self) -> CpuMeter:
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, float] = {}
        self.started = time.time()
        self._sample()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self.stop.wait(0.5):
                self._sample()
        finally:
            connection.close()  # this thread's own connection

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        used = {"app": 0.0, "db": 0.0, "redis": 0.0}
        for pid, (kind, first) in self.first.items():
            used[kind] += self.last[pid] - first
        return used


def run_wrk(
    wrk: str,
    script: Path,
    port: int,
    row: Row,
    args: argparse.Namespace,
    seconds: int,
    session: str,
) -> dict:
    headers = ["X-Forwarded-Proto: https", "Accept-Encoding: gzip", f"Host: {SITE_HOST}"]
    if row.logged_in:
        headers.append(f"Cookie: {settings.SESSION_COOKIE_NAME}={session}")
    command = [
        wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), *[part for header in headers for part in ("-H", header)],
        f"http://127.0.0.1:{port}{row.path}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in output.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    sys.exit(f"wrk failed on {row.path}:\n{output.stdout}{output.stderr}")


def measure(
    wrk: str,
    script: Path,
    port: int,
    server: subprocess.Popen,
    row: Row,
    args: argparse.Namespace,
    session: str,
) -> None:
    headers = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip", "Host": SITE_HOST}
    if row.logged_in:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}"
    row.status, body = get(port, row.path, headers)
    if row.logged_in and row.status == 200 and BENCH_USERNAME.encode() not in body:
        sys.exit(f"{row.path}: the bench user's session was not recognised (page not logged in)")
    if args.warmup:
        run_wrk(wrk, script, port, row, args, args.warmup, session)
    with CpuMeter(server) as meter:
        result = run_wrk(wrk, script, port, row, args, args.duration, session)
    requests = max(result["requests"], 1)
    cpu = {kind: seconds * 1000 / requests for kind, seconds in meter.seconds().items()}
    row.result = result | {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "kb": result["bytes"] / requests / 1024,
        "cpu": cpu,
        "db_measured": meter.db_measured,
        "redis_measured": meter.redis is not None,
    }


def report(row: Row, static_rps: float) -> bool:
    """Print the row's line of the table; True when it meets its target."""
    result = row.result
    share = result["rps"] / static_rps if static_rps else 0.0
    cpu = result["cpu"]
    parts = [f"{cpu['app']:.2f}", f"{cpu['db']:.2f}" if result["db_measured"] else "?"]
    parts.append(f"{cpu['redis']:.2f}" if result["redis_measured"] else "?")
    errors = result["status_errors"] + result["socket_errors"]
    bad = ""
    if result["socket_errors"]:
        bad = f" ({result['socket_errors']} socket errors)"
    target = TARGETS.get(row.name)
    ok = row.status == 200 and errors == 0 and (target is None or share >= target)
    if row.status != 200:
        verdict = f"MISSED: status {row.status}"
    elif target is None:
        verdict = "ok" if ok else "MISSED"
    else:
        verdict = f"≥ {target}x: {'ok' if ok else 'MISSED'}"
    print(
        f"| `{row.path}` | {'logged in' if row.logged_in else 'anonymous'} "
        f"| {result['rps']:,.0f} | {share:.2f}x | {result['p50_us'] / 1000:.1f} "
        f"| {result['p99_us'] / 1000:.1f} | {result['kb']:.1f} "
        f"| {sum(cpu.values()):.2f} = {'+'.join(parts)} | {errors}{bad} | {verdict} |",
        flush=True,
    )
    return ok


# --- Main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per row")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--only", default="", help="comma-separated rows (static always runs)")
    parser.add_argument("--no-cache", action="store_true", help="gunicorn with SHARED_CACHE=0")
    parser.add_argument(
        "--papers", type=int, default=100_000, help="papers the bench database must hold (0: any)"
    )
    parser.add_argument("--wait", type=float, default=1800, help="seconds to wait for the data")
    args = parser.parse_args()
    # A `kill` stops the benchmark like a Ctrl-C: the finally blocks stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if "bench" not in settings.DATABASES["default"]["NAME"]:
        sys.exit("DATABASE_NAME must name a bench database (its name contains 'bench').")
    wrk = ensure_wrk()
    wait_for_data(args.papers, args.wait)
    warn_pending_migrations()
    call_command("collectstatic", interactive=False, verbosity=0)
    selected = rows({name for name in args.only.split(",") if name})

    env = os.environ | {
        "PGAPPNAME": APPLICATION_NAME,
        "WEB_ACCESS_LOG": "0",
        # The proxy's X-Forwarded-Proto comes from this machine: gunicorn and Django trust it,
        # so SECURE_SSL_REDIRECT sees HTTPS and does not redirect.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    if args.no_cache:
        env["SHARED_CACHE"] = "0"
    conf = runpy.run_path(str(GUNICORN_CONF))  # what gunicorn reads, with this environment
    session = None
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch:
        script, log = Path(scratch) / "done.lua", Path(scratch) / "gunicorn.log"
        script.write_text(WRK_DONE)
        port = free_port()
        server = start_gunicorn(port, env, log)
        try:
            session, username = bench_session()
            wait_healthy(server, port, log)
            cache_state = env.get("SHARED_CACHE", "unset: on")
            print(
                f"gunicorn -c config/gunicorn.conf.py: {conf['workers']} {conf['worker_class']} "
                f"workers x {conf['threads']} threads; wrk -t{args.threads} "
                f"-c{args.connections} -d{args.duration}s after {args.warmup}s warm-up; "
                f"SHARED_CACHE {cache_state}; logged in as {username}"
            )
            print(f"Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
            print(
                "| URL | who | req/s | x static | median ms | p99 ms | KB/response "
                "| CPU ms/req (app+db+redis) | non-2xx | target |"
            )
            print("|---|---|---:|---:|---:|---:|---:|---|---:|---|")
            failures, static_rps = 0, 0.0
            for row in selected:
                measure(wrk, script, port, server, row, args, session)
                if row.name == "static":
                    static_rps = row.result["rps"]
                failures += not report(row, static_rps)
        finally:
            stop_gunicorn(server)
            remove_bench_user(session)
        if any(row.status >= 500 for row in selected):
            errors = log.read_text(errors="replace").splitlines()[-40:]
            print("\ngunicorn's log (last 40 lines):\n" + "\n".join(errors))
    print(
        f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}. "
        "The logged-in day's median server time (target 10 ms) is bench/run.py's `day-user`."
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("Interrupted: gunicorn stopped.")
