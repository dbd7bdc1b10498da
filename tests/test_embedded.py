"""Embedded PostgreSQL and Redis: started once, reused by other processes, stopped on request."""

import fcntl
import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

START_SERVICES = """
import json
from config import embedded
from pgserver.utils import PostmasterInfo
db = embedded.embedded_database()
redis_url = embedded.embedded_redis_url()
info = PostmasterInfo.read_from_pgdata(embedded.DATA_DIR / "postgres")
print(json.dumps({"db": db, "redis": redis_url, "postmaster": info.pid}))
"""


def _run(code: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for a container's init to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "data"
    yield directory
    _run(
        "from config import embedded; embedded.stop_embedded_services()",
        {"PAPERBOARD_DATA_DIR": str(directory)},
    )


def test_processes_starting_together_share_one_server_of_each_kind(data_dir):
    env = {"PAPERBOARD_DATA_DIR": str(data_dir)}
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _run(START_SERVICES, env), range(3)))
    for result in results:
        assert result.returncode == 0, result.stderr
    started = [json.loads(r.stdout) for r in results]
    assert len({s["postmaster"] for s in started}) == 1
    assert len({s["redis"] for s in started}) == 1
    assert started[0]["db"]["NAME"] == "paperboard"

    # A later process (a Celery worker, a manage.py command) reuses the running servers.
    again = json.loads(_run(START_SERVICES, env).stdout)
    assert again["postmaster"] == started[0]["postmaster"]
    assert again["redis"] == started[0]["redis"]

    stopped = _run(
        "from config import embedded; print(','.join(embedded.stop_embedded_services()))", env
    )
    assert stopped.stdout.split() == ["redis,postgres"]
    assert not _alive(started[0]["postmaster"])
    port = int(started[0]["redis"].rsplit(":", 1)[1])
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


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
