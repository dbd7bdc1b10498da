"""``make run``: services, migrations, demo data, then web + worker + beat under one manager.

One process group per child (honcho), so Ctrl-C stops every process and their children.
This process starts the embedded PostgreSQL and Redis and is a user of them for the whole run,
as each child is; when it exits last, it stops them (a ``manage.py shell`` still open in
another terminal keeps them up until it exits). A second ``make run`` while one is running is
refused before it touches ``.data/``.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
from pathlib import Path

from honcho.manager import Manager
from honcho.printer import Printer

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)  # noqa: S603


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    embedded.DATA_DIR.mkdir(parents=True, exist_ok=True)
    lock_file = open(embedded.DATA_DIR / "run.lock", "w")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("Paperboard is already running from this folder (make run holds .data/run.lock).")
        print("Open the running site, or stop it with Ctrl-C before starting another.")
        return 1
    if not _port_is_free(host, port):
        print(f"Port {port} on {host} is in use; set PORT=8001 (for example) and try again.")
        return 1

    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "PYTHONUNBUFFERED": "1"}
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    try:
        embedded.start(env)
        _manage("migrate", "--no-input", env=env)
        _manage("seed_demo", env=env)
        manager = Manager(Printer(sys.stdout))
        python = sys.executable
        manager.add_process(
            "web", f"{python} manage.py runserver {host}:{port}", env=env, cwd=BASE_DIR
        )
        manager.add_process(
            "worker",
            f"{python} -m celery -A config worker --loglevel INFO --concurrency 2",
            env=env,
            cwd=BASE_DIR,
        )
        manager.add_process(
            "beat",
            f"{python} -m celery -A config beat --loglevel INFO "
            f"--schedule {embedded.DATA_DIR / 'celerybeat-schedule'}",
            env=env,
            cwd=BASE_DIR,
        )
        print(f"\n  Paperboard is starting at  http://{host}:{port}/   (Ctrl-C stops everything)\n")
        manager.loop()
        # Ctrl-C (SIGINT, 130) is how a developer stops the run: not a failure.
        return 0 if manager.returncode in (None, 130) else manager.returncode
    except embedded.EmbeddedServiceError as exc:
        print(f"Could not start the embedded servers: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"Set-up step failed: {' '.join(map(str, exc.cmd[1:]))}")
        return exc.returncode or 1
    finally:
        stopped = embedded.release()
        if stopped:
            print(f"Stopped embedded {' and '.join(stopped)}.")
        lock_file.close()


if __name__ == "__main__":
    sys.exit(main())
