"""How a view answers a service's refusal: the message to show and the status code."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from apps.core.ratelimit import RateLimitExceeded

Refusal = ValidationError | PermissionDenied | RateLimitExceeded


def refusal_message(exc: Refusal) -> str:
    """Every message of a ValidationError, or the refusal's own message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "You cannot do that."


def refusal_status(exc: Refusal | None, *, htmx: bool) -> int:
    """429 too fast, 403 not allowed; bad input (or no exception: an invalid form) is 400, or
    422 for htmx (swapped in place)."""
    if isinstance(exc, RateLimitExceeded):
        return 429
    if isinstance(exc, PermissionDenied):
        return 403
    return 422 if htmx else 400
