"""The Celery application: broker and results in Redis, tasks from ``apps/*/tasks.py``."""

import os

from celery import Celery, signals

from config import embedded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("paperboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def start_embedded_services(**_: object) -> None:
    """A worker or beat started on its own starts the embedded servers it needs.

    In the worker or beat process only, not at import: every Django process imports this
    module. It counts as a user of the servers until it exits (see ``config/embedded.py``).
    """
    embedded.start()
