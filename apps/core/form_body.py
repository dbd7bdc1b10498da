"""Forms the site cannot read get a short 400 before anything else reads them.

Django refuses an ``application/x-www-form-urlencoded`` body declared in another charset than
UTF-8 (and a multipart body without a boundary, too many fields, …) by raising from
``request.POST``. Its 400 then logs the whole traceback, and with ``DEBUG`` its error page
reads ``request.POST`` again, which raises again in every middleware on the way out: a 500
and about 50 KB of log per request. Here the form is parsed once, first, and a refusal is one
400 and one log line.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError

logger = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSAL = "This form could not be read ({reason}). Forms are sent in UTF-8."


def _utf8_alias(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


class FormBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in FORM_TYPES:
            charset = request.content_params.get("charset", "")
            if charset and _utf8_alias(charset):
                request.encoding = "utf-8"  # "UTF8", "utf_8": Django only takes "utf-8"
            try:
                request.POST  # noqa: B018 - parsed here, where a failure is caught
            except (BadRequest, SuspiciousOperation, MultiPartParserError) as exc:
                reason = str(exc)[:200]
                logger.warning(
                    "400 unreadable form: %s (Content-Type %.100r) %s %.200s",
                    reason,
                    request.META.get("CONTENT_TYPE", ""),
                    request.method,
                    request.path,
                )
                response = HttpResponseBadRequest(
                    REFUSAL.format(reason=reason), content_type="text/plain; charset=utf-8"
                )
                response._has_been_logged = True  # the line above says it all (django.request)
                return response
        return self.get_response(request)
