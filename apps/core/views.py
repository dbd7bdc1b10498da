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
