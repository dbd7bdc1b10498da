"""Per-page changes to the site's Content-Security-Policy (``SECURE_CSP``)."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.csp import CSP, build_policy


def set_policy(response: HttpResponse, changes: dict[str, list[str]]) -> HttpResponse:
    """Give ``response`` the site's policy with ``changes``, without a nonce.

    Set as a header, which the CSP middleware leaves as it is and the shared page cache keeps;
    Django's ``csp_override`` marks the response object instead, and a page served from the
    shared cache is a new response object.
    """
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy({**settings.SECURE_CSP, **changes})
    return response
