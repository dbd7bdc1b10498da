"""Embedded PostgreSQL and Redis: started by the processes that use them, one server of each kind
however many start together, stopped when the last of those processes exits."""

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# A user of the embedded servers: starts them (or joins the running ones), reports them, and
# stays a user until its standard input closes.
HOLD_SERVICES = """
import json, sys
from config import embedded
started = embedded.start()
print(json.dumps({
    "started": started,
    "db": embedded.database_settings(),
    "redis": embedded.redis_url(),
    "postmaster": int((embedded.DATA_DIR / "postgres" / "postmaster.pid").read_text().split()[0]),
    "redis_pid": int((embedded.DATA_DIR / "redis" / "redis.pid").read_text()),
}), flush=True)
sys.stdin.read()
"""

# What a manage.py command saw: the servers it used (after a real query and cache write).
REPORT_SERVERS = """
import json
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from config import embedded
with connection.cursor() as cursor:
    cursor.execute("select current_database()")
    database = cursor.fetchone()[0]
cache.set("probe", "ok")
print(json.dumps({
    "database": database,
    "cache": cache.get("probe"),
    "redis": settings.CELERY_BROKER_URL,
    "postmaster": int((embedded.DATA_DIR / "postgres" / "postmaster.pid").read_text().split()[0]),
    "redis_pid": int((embedded.DATA_DIR / "redis" / "redis.pid").read_text()),
}))
"""


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PAPERBOARD_DATA_DIR": str(data_dir), "DEBUG": "1", **extra}
    for name in ("DATABASE_URL", "REDIS_URL", "PAPERBOARD_TESTING"):
        env.pop(name, None)
    return env


def _run(code: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _hold(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", HOLD_SERVICES],
        env=env,
        cwd=BASE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _report(holder: subprocess.Popen) -> dict:
    line = holder.stdout.readline()
    assert line, holder.stderr.read()
    return json.loads(line)


def _let_go(holder: subprocess.Popen) -> None:
    """Close the holder's input: it exits normally, as a finished command does."""
    holder.stdin.close()
    assert holder.wait(timeout=120) == 0, holder.stderr.read()


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for a container's init to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _port(redis_url: str) -> int:
    return int(redis_url.rsplit(":", 1)[1].split("/")[0])


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _assert_stopped(servers: dict) -> None:
    assert not _alive(servers["postmaster"])
    assert not _alive(servers["redis_pid"])
    assert not _answers(_port(servers["redis"]))


def _servers_under(data_dir: Path) -> list[int]:
    """Processes that are embedded servers of this data directory."""
    found = []
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in cmdline and (process.info["name"] or "").startswith("postgres"):
            found.append(process.info["pid"])
    pid_file = data_dir / "redis" / "redis.pid"
    if pid_file.exists() and _alive(int(pid_file.read_text())):
        found.append(int(pid_file.read_text()))
    return found


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "data"
    yield directory
    # Whatever a failed test left running.
    _run(
        "from config import embedded; embedded.stop_embedded_services()",
        _env(directory),
    )


def test_importing_settings_starts_nothing(data_dir):
    code = """
import json, django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"host": db["HOST"], "name": db["NAME"], "redis": settings.CELERY_BROKER_URL}))
"""
    env = _env(data_dir, DJANGO_SETTINGS_MODULE="config.settings")
    first = _run(code, env)
    assert first.returncode == 0, first.stderr
    values = json.loads(first.stdout)
    # The socket lives in the data directory (or under /tmp when that path is too long).
    assert values["host"] == str(data_dir / "postgres") or "/paperboard-pg-" in values["host"]
    assert values["name"] == "paperboard"
    assert _servers_under(data_dir) == []
    assert not (data_dir / "postgres").exists()
    assert not _answers(_port(values["redis"]))
    # The Redis port was chosen once and saved: every later process computes the same URL.
    assert (data_dir / "redis" / "port").read_text() == str(_port(values["redis"]))
    assert json.loads(_run(code, env).stdout) == values


def test_manage_py_command_stops_the_servers_it_started_when_it_exits(data_dir):
    result = _manage(_env(data_dir), "shell", "--no-imports", "-c", REPORT_SERVERS)
    assert result.returncode == 0, result.stderr
    servers = json.loads(result.stdout.strip().splitlines()[-1])
    assert servers["database"] == "paperboard"
    assert servers["cache"] == "ok"
    _assert_stopped(servers)
    assert _servers_under(data_dir) == []

    # The next command starts them again at the same addresses, and stops them in turn.
    again = _manage(_env(data_dir), "shell", "--no-imports", "-c", REPORT_SERVERS)
    assert again.returncode == 0, again.stderr
    restarted = json.loads(again.stdout.strip().splitlines()[-1])
    assert restarted["redis"] == servers["redis"]
    assert restarted["postmaster"] != servers["postmaster"]
    _assert_stopped(restarted)


def test_processes_starting_together_share_one_server_of_each_kind(data_dir):
    env = _env(data_dir)
    with ThreadPoolExecutor(max_workers=3) as pool:
        holders = list(pool.map(lambda _: _hold(env), range(3)))
        started = list(pool.map(_report, holders))
    assert len({s["postmaster"] for s in started}) == 1
    assert len({s["redis"] for s in started}) == 1
    assert sorted(name for s in started for name in s["started"]) == ["postgres", "redis"]
    assert started[0]["db"]["NAME"] == "paperboard"

    # A later process (a Celery worker, a manage.py command) joins the running servers, and
    # its exit does not stop them while others still use them.
    command = _manage(env, "shell", "--no-imports", "-c", REPORT_SERVERS)
    assert command.returncode == 0, command.stderr
    seen = json.loads(command.stdout.strip().splitlines()[-1])
    assert seen["postmaster"] == started[0]["postmaster"]
    assert _port(seen["redis"]) == _port(started[0]["redis"])
    for holder in holders[:2]:
        _let_go(holder)
    assert _alive(started[0]["postmaster"])
    assert _answers(_port(started[0]["redis"]))

    # The last user stops them.
    _let_go(holders[2])
    _assert_stopped(started[0])


def _start_celery(program: str, data_dir: Path, tmp_path: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "celery", "-A", "config", program, "--loglevel", "DEBUG"]
    if program == "worker":
        args += ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        args += ["--hostname", f"embedded-test-{os.getpid()}@%h"]
    else:
        args += ["--schedule", str(tmp_path / "beat-schedule")]
    return subprocess.Popen(  # noqa: S603
        args,
        env=_env(data_dir),
        cwd=BASE_DIR,
        stdout=(tmp_path / f"{program}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


@pytest.mark.worker
# Logged once running: the worker when it consumes, beat after its first tick.
@pytest.mark.parametrize(("program", "ready"), [("worker", "ready."), ("beat", "Waking up")])
def test_celery_started_on_its_own_starts_the_servers_and_stops_them(
    program, ready, data_dir, tmp_path
):
    process = _start_celery(program, data_dir, tmp_path)
    log = tmp_path / f"{program}.log"
    try:
        deadline = time.monotonic() + 90
        while ready not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        servers = _servers_under(data_dir)
        assert len(servers) >= 2, log.read_text()  # the postmaster (and its children), Redis
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _servers_under(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _servers_under(data_dir) == [], log.read_text()


@pytest.mark.worker
def test_a_worker_exiting_leaves_the_servers_to_their_other_users(data_dir, tmp_path):
    """As a worker started by a test must not stop the servers under the test session."""
    holder = _hold(_env(data_dir))
    servers = _report(holder)
    worker = _start_celery("worker", data_dir, tmp_path)
    log = tmp_path / "worker.log"
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text():
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert "Warm shutdown" in log.read_text()
    assert _alive(servers["postmaster"])
    assert _answers(_port(servers["redis"]))
    _let_go(holder)
    _assert_stopped(servers)


def test_leftovers_of_a_killed_process_are_reused_or_stopped_by_make_stop(data_dir):
    env = _env(data_dir)
    holder = _hold(env)
    servers = _report(holder)
    holder.kill()  # no chance to stop them: a crash
    holder.wait()
    assert _alive(servers["postmaster"])
    assert _answers(_port(servers["redis"]))

    # The next user joins the leftovers and, being the last, stops them.
    command = _manage(env, "shell", "--no-imports", "-c", REPORT_SERVERS)
    assert command.returncode == 0, command.stderr
    joined = json.loads(command.stdout.strip().splitlines()[-1])
    assert joined["postmaster"] == servers["postmaster"]
    _assert_stopped(servers)

    # Or `make stop` stops them.
    holder = _hold(env)
    servers = _report(holder)
    holder.kill()
    holder.wait()
    stopped = _run(
        "from config import embedded; print(','.join(embedded.stop_embedded_services()))", env
    )
    assert stopped.stdout.split() == ["redis,postgres"], stopped.stderr
    _assert_stopped(servers)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(
    not (_reachable("127.0.0.1", 5432) and _reachable("127.0.0.1", 6379)),
    reason="no PostgreSQL and Redis servers on 127.0.0.1",
)
def test_configured_servers_are_used_and_nothing_embedded_is_started(tmp_path):
    data_dir = tmp_path / "untouched"
    code = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
from django.core.cache import cache
with connection.cursor() as cursor:
    cursor.execute("select inet_server_port()")
    port = cursor.fetchone()[0]
cache.set("probe", "ok")
print(json.dumps({"port": port, "cache": cache.get("probe"), "broker": settings.CELERY_BROKER_URL}))
"""
    result = _run(
        code,
        {
            **os.environ,
            "PAPERBOARD_DATA_DIR": str(data_dir),
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
        },
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["port"] == 5432
    assert values["cache"] == "ok"
    assert values["broker"].startswith("redis://127.0.0.1:6379/")
    assert not data_dir.exists()


def test_second_make_run_is_refused_while_one_runs(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with open(data_dir / "run.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = subprocess.run(
            [sys.executable, "-m", "config.devrun"],
            env={**os.environ, "PAPERBOARD_DATA_DIR": str(data_dir), "PORT": "8799"},
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "already running" in result.stdout
    assert not (data_dir / "postgres").exists()


def test_redis_restarted_by_another_process_comes_back_on_the_same_port(data_dir):
    """A running web server, worker and beat keep the address they computed at start: Redis
    must come back there, whoever restarts it and whatever happened to the port file."""
    env = _env(data_dir)
    holder = _hold(env)  # the running site
    servers = _report(holder)
    port = _port(servers["redis"])
    restart = (
        "import json; from config import embedded; "
        "print(json.dumps({'started': embedded.start(), 'redis': embedded.redis_url()}))"
    )
    try:
        # Redis crashes; the next process to start restarts it.
        os.kill(servers["redis_pid"], signal.SIGKILL)
        result = _run(restart, env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"started": ["redis"], "redis": servers["redis"]}
        assert _answers(port)

        # The port file is lost while Redis runs: the running one is found, not a second one.
        (data_dir / "redis" / "port").unlink()
        result = _run(restart, env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"started": [], "redis": servers["redis"]}

        # Lost while Redis is down: the same port is chosen again (it is free).
        (data_dir / "redis" / "port").unlink()
        os.kill(int((data_dir / "redis" / "redis.pid").read_text()), signal.SIGKILL)
        result = _run(restart, env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"started": ["redis"], "redis": servers["redis"]}
    finally:
        _let_go(holder)
