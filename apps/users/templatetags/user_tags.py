from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("users/partials/avatar.html")
def avatar(user, size: int = 32) -> dict:
    """A circle with the person's initials: no uploads, no third-party image service."""
    return {"avatar_user": user, "size": size}
