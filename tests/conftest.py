import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (the tests' own Redis database)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real ``celery worker`` process on the test database, its own queue and a mail folder.

    Yields ``(queue_name, mail_dir)``; send tasks with ``.apply_async(queue=queue_name)``.
    """
    from django.db import connection

    with django_db_blocker.unblock():
        test_database = connection.settings_dict["NAME"]
    mail_dir = tmp_path_factory.mktemp("worker-mail")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PAPERBOARD_TESTING": "1",
        "DATABASE_NAME": test_database,
        "EMAIL_URL": f"file://{mail_dir}",
    }
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    yield queue, mail_dir
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
