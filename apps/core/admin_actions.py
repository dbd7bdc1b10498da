"""Admin helpers: actions that decide items one by one through a service (which checks
permissions), and pages of rows that only services write."""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError


def apply_to_each(
    modeladmin: Any,
    request: Any,
    items: Iterable[Any],
    service: Callable[[Any], object],
    *,
    done: str,
) -> None:
    """Call ``service(item)`` for each item; report each refusal, then ``done`` with the count.

    ``done`` is a message with ``{count}``, e.g. "Approved {count} claim(s)."
    """
    count = 0
    for item in items:
        try:
            service(item)
        except (PermissionDenied, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(request, f"{item}: {message}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done.format(count=count), messages.SUCCESS)


class ReadOnlyAdminMixin:
    """An admin page that shows rows and never adds, changes or deletes them: they are written
    by services, which keep counters, logs and notices right."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
