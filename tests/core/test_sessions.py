"""Old sessions are deleted: beat runs clearsessions nightly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.tasks import clear_expired_sessions
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_the_task_deletes_expired_sessions_and_keeps_live_ones():
    live = SessionStore()
    live["n"] = 1
    live.create()
    expired = SessionStore()
    expired["n"] = 2
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    clear_expired_sessions.apply()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_beat_runs_it_every_night():
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "apps.core.tasks.clear_expired_sessions"
    )
    assert entry["task"] in celery_app.tasks
    remaining = entry["schedule"].remaining_estimate(timezone.now())
    assert dt.timedelta(0) <= remaining <= dt.timedelta(days=1)
