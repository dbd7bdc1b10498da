"""A database that does not answer gives a 503 page with Retry-After and one log line, and the
next request after it is back works (no restart). The PostgreSQL restart itself is drilled in
tests/test_drills.py."""

import logging

import psycopg
import pytest
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from tests.factories import make_paper


@pytest.fixture
def database_refuses(transactional_db, monkeypatch):
    """New connections are refused, as while PostgreSQL restarts; ``.restore()`` ends it."""

    def refuse(self, conn_params):
        raise psycopg.OperationalError("connection refused: the database system is starting up")

    original = DatabaseWrapper.get_new_connection

    class Outage:
        def restore(self) -> None:
            monkeypatch.setattr(DatabaseWrapper, "get_new_connection", original)

    paper = make_paper(arxiv_id="2410.09692")
    connection.close()
    monkeypatch.setattr(DatabaseWrapper, "get_new_connection", refuse)
    outage = Outage()
    outage.paper = paper
    return outage


def test_a_page_is_a_503_with_retry_after_and_one_log_line(database_refuses, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING):
        response = client.get("/papers/2410.09692")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Back in a moment" in response.content.decode()
    lines = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(lines) == 1, [record.getMessage() for record in lines]
    assert (
        lines[0]
        .getMessage()
        .startswith("database unavailable: GET /papers/2410.09692 answered 503 (OperationalError: ")
    )
    assert lines[0].exc_info is None

    database_refuses.restore()
    assert client.get("/papers/2410.09692").status_code == 200


class LosesTheDatabase:
    """A middleware whose query fails before the view runs (as a session load may)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        raise OperationalError("server closed the connection unexpectedly")


def test_an_error_outside_the_view_is_a_503_too(db, settings, caplog):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.LosesTheDatabase"]
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING):
        response = client.post("/papers/2410.09692/vote")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "database unavailable: POST /papers/2410.09692/vote answered 503 "
        "(OperationalError: server closed the connection unexpectedly)"
    ]


def test_other_errors_are_still_500s(db, monkeypatch):
    from apps.papers import views

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    make_paper(arxiv_id="2410.09692")
    monkeypatch.setattr(views, "render", boom)
    response = Client(raise_request_exception=False).get("/papers/2410.09692")
    assert response.status_code == 500
