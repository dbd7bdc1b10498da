"""Make allauth follow the site's rule that bad input is answered with a 4xx."""

from collections.abc import Callable

from django import forms
from django.http import HttpRequest, HttpResponse


class InvalidAccountFormStatusMiddleware:
    """allauth re-renders a rejected form with status 200; send it as 400 Bad Request.

    Only POSTs to allauth's own views (URL names ``account_*`` / ``socialaccount_*``) whose
    page carries a bound form with errors are touched; the page itself is unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method != "POST" or response.status_code != 200:
            return response
        match = request.resolver_match
        if not match or not (match.url_name or "").startswith(("account_", "socialaccount_")):
            return response
        form = (getattr(response, "context_data", None) or {}).get("form")
        if isinstance(form, forms.BaseForm) and form.is_bound and form.errors:
            response.status_code = 400
        return response
