"""Operational drills under a running site (README "Operations"): Redis stopped and restarted,
PostgreSQL restarted, a Celery worker killed in the middle of a task.

Each takes its own servers down (tests/servers.py), never the shared ones; the figures are
printed (``-s``) and recorded in the README. ``DRILL_CLIENTS`` (4) and ``DRILL_OUTAGE_SECONDS``
(3) make a longer, heavier run of the same drills.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from apps.comments.services import comment_create
from apps.core.tasks import send_email
from apps.notifications.models import Notification
from tests.factories import make_entry, make_paper, make_user, verify_for_log_in
from tests.servers import (
    Call,
    DrillReport,
    Load,
    PostgresServer,
    RedisServer,
    Site,
    point_celery_at,
)

BASE_DIR = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("DRILL_CLIENTS", "4"))
OUTAGE_SECONDS = float(os.environ.get("DRILL_OUTAGE_SECONDS", "3"))
CSRF = "drillcsrftoken0123456789abcdefgh"  # a 32-character secret, as the cookie holds it


def member_headers(user) -> dict[str, str]:
    """Cookies of a logged-in session and a CSRF token, for POSTs to a real server."""
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "apps.users.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return {
        "Cookie": f"sessionid={session.session_key}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
    }


def site_calls(arxiv_id: str, member: dict[str, str]) -> list[Call]:
    return [
        Call("paper", "GET", f"/papers/{arxiv_id}"),
        Call("home", "GET", "/"),
        Call("vote", "POST", f"/papers/{arxiv_id}/vote", member, ""),
        Call("member page", "GET", f"/papers/{arxiv_id}", {"Cookie": member["Cookie"]}),
        Call("healthz", "GET", "/healthz"),
    ]


@pytest.fixture
def site_data(transactional_db):
    paper = make_paper(arxiv_id="2410.09692")
    make_entry(day=paper.published_on, paper=paper)
    return paper, verify_for_log_in(make_user("ada"))


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Celery worker as tests/conftest.py starts one, with this environment."""
    return subprocess.Popen(  # noqa: S603 - fixed command
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"drill-{os.getpid()}@%h", "--loglevel", "INFO"],
        cwd=BASE_DIR,
        env={**os.environ, "PAPERBOARD_TESTING": "1", **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_redis_stopped_and_restarted_under_a_running_site(site_data, tmp_path):
    """Pages and votes keep working, /healthz says Redis is down, and the site and a worker
    use Redis again once it is back, none of them restarted."""
    paper, ada = site_data
    server = RedisServer(tmp_path / "redis")
    server.start()
    env = {"REDIS_URL": server.url(0), "DATABASE_NAME": connection.settings_dict["NAME"]}
    site = Site({**env, "SHARED_CACHE": "1"}, tmp_path / "gunicorn.log")
    site.start()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    worker = start_worker({**env, "EMAIL_URL": f"file://{outbox}"}, tmp_path / "worker.log")
    # The test settings put broker, cache and results in databases 8, 9 and 10.
    previous = point_celery_at(server.url(8), server.url(10))
    try:
        calls = site_calls(paper.arxiv_id, member_headers(ada))
        with Load(site.port, calls, CLIENTS) as load:
            time.sleep(1)
            down_at = time.monotonic()
            server.stop()
            time.sleep(OUTAGE_SECONDS)
            server.start()  # same port, empty
            up_at = time.monotonic()  # it answers
            time.sleep(3)
        send_email.apply_async(kwargs={"subject": "s", "body": "b", "to": ["a@example.org"]})
        deadline = time.monotonic() + 60
        while not any(outbox.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.2)
        mailed_after = time.monotonic() - up_at
    finally:
        point_celery_at(*previous)
        site.stop()
        worker.terminate()
        worker.wait(timeout=20)
        server_keys = redis.Redis.from_url(server.url(9)).dbsize()  # the site's cache database
        server.stop()
    report = DrillReport(load.samples, down_at, up_at)
    print(f"\nRedis drill: {report.summary()}; a task queued then done {mailed_after:.1f} s later")
    assert report.failed() == [], report.summary()
    during = [s for s in load.samples if down_at + 0.5 < s.started < up_at - 0.5]
    assert {s.status for s in during if s.name == "healthz"} == {503}
    assert {s.status for s in during if s.name == "vote"} == {200}
    assert report.recovered_after() is not None
    assert report.recovered_after() < 3
    assert server_keys > 0  # the site cached pages in the restarted Redis: used again
    assert "Redis answers again" in site.log.read_text()
    assert len(list(outbox.iterdir())) == 1, (tmp_path / "worker.log").read_text()[-3000:]


@pytest.fixture
def private_postgres(site_data):
    """A throwaway cluster holding a copy of the test database (schema and the data above)."""
    directory = Path(tempfile.mkdtemp(prefix="paperboard-drill-pg-"))
    server = PostgresServer(directory, major=connection.pg_version // 10000)
    server.init()
    server.start()
    try:
        source = connection.settings_dict
        dump = subprocess.run(  # noqa: S603 - fixed binaries
            [str(server.bin("pg_dump")), "--no-owner", "-h", source["HOST"],
             "-p", str(source["PORT"]), "-U", source["USER"], source["NAME"]],
            capture_output=True,
        )  # fmt: skip
        assert dump.returncode == 0, dump.stderr.decode()
        restore = subprocess.run(  # noqa: S603
            [str(server.bin("psql")), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(server.port), "-U", "postgres", "-d", "postgres"],
            input=dump.stdout, capture_output=True,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr.decode()
        yield server
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(directory, ignore_errors=True)


def test_postgres_restarted_under_load_gives_brief_503s_and_recovers(
    site_data, private_postgres, tmp_path
):
    paper, _ = site_data
    site = Site(
        {"DATABASE_URL": private_postgres.url("postgres"), "DATABASE_NAME": "postgres"},
        tmp_path / "gunicorn.log",
    )
    site.start()
    calls = [c for c in site_calls(paper.arxiv_id, {"Cookie": ""}) if c.name in {"paper", "home"}]
    try:
        with Load(site.port, [*calls, Call("healthz", "GET", "/healthz")], CLIENTS) as load:
            time.sleep(1)
            down_at = time.monotonic()
            private_postgres.stop(mode="fast")  # what a restart does first
            time.sleep(OUTAGE_SECONDS / 3)
            private_postgres.start()
            up_at = time.monotonic()  # it accepts connections
            time.sleep(2)
    finally:
        site.stop()
    report = DrillReport(load.samples, down_at, up_at)
    print(f"\nPostgreSQL drill: {report.summary()}")
    statuses = {s.status for s in report.failed()}
    assert statuses <= {503}, report.summary()  # a page saying so, never a 500 or no answer
    assert report.failed(), "the outage was not seen"
    assert all(s.started < up_at + 0.5 for s in report.failed()), report.summary()
    last = [s for s in load.samples if s.started > up_at + 0.5]
    assert last, report.summary()
    assert all(s.status == 200 for s in last), report.summary()
    log = site.log.read_text()
    assert "database unavailable: GET" in log
    assert "Traceback" not in log


@pytest.fixture
def celery_worker_env(smtp_server) -> dict[str, str]:
    """Mail to the recording server; a task of a dead worker comes back after 2 s."""
    return {
        "EMAIL_URL": smtp_server.url,
        "CELERY_BROKER_TRANSPORT_OPTIONS": (
            '{"visibility_timeout": 2, "unacked_restore_interval": 1,'
            ' "unacked_restore_throttle": 1}'
        ),
    }


@pytest.mark.worker
def test_a_worker_killed_mid_task_is_redelivered_and_the_email_sent_once(
    celery_worker, celery_worker_env, smtp_server, tmp_path
):
    paper = make_paper()
    ada, alan = verify_for_log_in(make_user("ada")), make_user("alan")
    parent = comment_create(author=ada, paper=paper, body="What about rsLoRA?")
    handler = smtp_server.handler
    handler.hold_after = 0  # the worker's message is held at DATA: the task is mid-way

    comment_create(author=alan, paper=paper, body="Table 3 compares it.", parent=parent)
    assert handler.holding.wait(timeout=60), celery_worker.log.read_text()[-3000:]
    killed_at = time.monotonic()
    celery_worker.process.send_signal(signal.SIGKILL)
    celery_worker.process.wait(timeout=10)
    handler.hold_after = None
    handler.release.set()  # answered "not accepted" to a dead client: never delivered
    notification = Notification.objects.get(recipient=ada)
    assert notification.emailed_at is None

    log_path = tmp_path / "second-worker.log"
    env = {
        **os.environ,
        "PAPERBOARD_TESTING": "1",
        "DATABASE_NAME": connection.settings_dict["NAME"],
        **celery_worker_env,
    }
    with log_path.open("w") as log:
        second = subprocess.Popen(  # noqa: S603 - the fixture's own command
            celery_worker.process.args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while notification.emailed_at is None and time.monotonic() < deadline:
            time.sleep(0.2)
            notification.refresh_from_db()
        redelivered_after = time.monotonic() - killed_at
        time.sleep(3)  # longer than the visibility timeout: a second delivery would show
    finally:
        second.terminate()
        second.wait(timeout=20)
    print(f"\nWorker drill: the killed task ran again and finished {redelivered_after:.1f} s later")
    assert notification.emailed_at is not None, log_path.read_text()[-3000:]
    assert handler.received() == {"ada@example.org": 1}
