"""Passwords inside URL settings (``EMAIL_URL``, ``REDIS_URL``, the Celery URLs, the cache's
``LOCATION``, a ``DATABASE_URL`` in the environment) stay hidden on the DEBUG error page and
in ``manage.py diffsettings``.

Django hides settings whose *name* looks secret (``SECRET_KEY``, ``PASSWORD``); a password
written inside a URL under an innocent name is shown as it is.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

MASK = "********"
# scheme://user:password@ (the user may be empty: redis://:password@host)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):[^@/\s]*@")
# ?password=… / &secret=… in a URL's query
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pass|secret|token|key|api_key)=)[^&;#\s]*", re.IGNORECASE
)


def mask_url_secrets(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it replaced."""
    text = _URL_PASSWORD.sub(rf"\g<head>:{MASK}@", text)
    return _QUERY_SECRET.sub(rf"\g<head>{MASK}", text)


class SecretsMaskingFilter(SafeExceptionReporterFilter):
    """Django's filter, plus passwords inside URLs in settings, ``request.META`` (the
    environment, under ``runserver``) and the traceback's local variables."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_url_secrets(cleansed)
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (
                name,
                self.cleanse_setting("", value)
                if isinstance(value, (str, dict, list, tuple))
                else value,
            )
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
