"""The Celery application: broker and results in Redis, tasks from ``apps/*/tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("paperboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
