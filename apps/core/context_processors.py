from django.http import HttpRequest

from apps.core.shared_cache import is_shared_page


def site(request: HttpRequest) -> dict:
    """Site-wide names; on a shared page, no CSRF token for a visitor.

    A visitor's shared page must be the same for everyone and set no cookie, and asking for
    the token (Django's csrf processor, which runs first) is what sets the ``csrftoken``
    cookie. An empty token makes ``{% csrf_token %}`` render nothing (with a warning under
    DEBUG: a visitor should see no form that needs one there) and base.html send no header;
    Django's own "NOTPROVIDED" would be silent, but its tag fails on it in Django 6.1
    (``format_html("")`` without arguments). The forms a visitor can use on a shared page fetch
    a token when they are submitted (static/js/csrf.js).
    """
    context = {"SITE_NAME": "Paperboard"}
    user = getattr(request, "user", None)
    if is_shared_page(request) and not (user and user.is_authenticated):
        context["csrf_token"] = ""
    return context
