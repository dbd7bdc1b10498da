import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def pytest_sessionstart(session: pytest.Session) -> None:
    """The embedded servers start with the test session, before any test uses them.

    Importing the settings starts nothing; this session is a user of the servers until it
    ends, so a Celery worker started by a test does not stop them when it exits.
    """
    embedded.start()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session stops the embedded servers if it is their last user (``make test``)."""
    embedded.release()


@pytest.fixture
def fast_password_hasher(settings):
    """Real hashing is deliberately slow; tests of log-in flows are not about hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port, recording what it accepts (tests/digests/smtp_server)."""
    from tests.digests.smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def celery_eager():
    """Tasks queued (on commit, or directly) run in-process, so their email reaches the
    outbox; the real worker has its own tests (``celery_worker``)."""
    from config.celery import app as celery_app

    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def shared_cache_on(settings):
    """The shared page cache (off for the rest of the suite), with no staleness window: a
    write shows on the next view."""
    settings.SHARED_CACHE_ENABLED = True
    settings.SHARED_CACHE_STALE_SECONDS = 0


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (the tests' own Redis database)."""
    from django.core.cache import cache

    cache.clear()


@dataclass(frozen=True)
class WorkerProcess:
    outbox: Path  # the email the worker sent, one file per message
    log: Path
    process: subprocess.Popen  # e.g. to kill the worker in the middle of a task


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    """Extra environment for the worker process (settings read from it, e.g. ARXIV_API_URL);
    override this fixture in a test module to point the worker at a test server."""
    return {}


@pytest.fixture
def celery_worker(transactional_db, tmp_path, celery_worker_env):
    """A real ``celery worker`` process on the test database and its broker, emailing to files.

    Tasks queued by the code under test (``.delay()``, ``transaction.on_commit``) reach it
    through Redis exactly as in production; the test's data is committed (transactional_db).
    """
    from django.db import connection

    outbox = tmp_path / "outbox"
    outbox.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "PAPERBOARD_TESTING": "1",
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "EMAIL_URL": f"file://{outbox}",
        **celery_worker_env,
    }
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--hostname", f"test-{os.getpid()}@%h", "--loglevel", "INFO"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        yield WorkerProcess(outbox=outbox, log=log_path, process=worker)
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
