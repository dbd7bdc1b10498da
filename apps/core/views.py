from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core.health import service_status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when PostgreSQL and Redis answer; 503 naming what is down otherwise."""
    status = service_status()
    down = sorted(name for name, up in status.items() if not up)
    body = {"status": "ok" if not down else "unavailable", "services": status}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


@never_cache
@require_safe
def csrf(request: HttpRequest) -> JsonResponse:
    """A CSRF token for a form on a shared page, fetched when it is submitted (static/js/csrf.js):
    the page itself carries none, so it can be the same for every visitor. Sets the cookie."""
    return JsonResponse({"token": get_token(request)})
