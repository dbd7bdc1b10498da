from django.http import HttpRequest, JsonResponse
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


def visitor_context(request: HttpRequest) -> dict:
    """Context for a page with nothing a visitor can post: no CSRF token is rendered for
    them, so no cookie is set and the page is the same for every visitor."""
    return {} if request.user.is_authenticated else {"csrf_token": ""}
