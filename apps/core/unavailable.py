"""A database that does not answer gives a short 503 page, not a 500 with a traceback.

While PostgreSQL restarts or fails over, every query raises ``OperationalError`` (or
``InterfaceError`` on a connection it closed). The request is answered 503 with
``Retry-After`` and logged in one line; the broken connection is discarded at the end of the
request (Django closes unusable connections) and the next request connects afresh, so the site
recovers by itself as soon as the database is back.

Errors raised in a view reach :class:`DatabaseUnavailableMiddleware`; those raised elsewhere
(a middleware saving the session) reach :func:`server_error`, the site's ``handler500``.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 page (static: it must not need the database), logged here in one line."""
    logger.warning(
        "database unavailable: %s %s answered 503 (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # Django would log it again as an error, with no cause
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the 503 page for a database error, Django's 500 page otherwise."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return database_unavailable(request, exc)
    return defaults.server_error(request)
