from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("users/partials/avatar.html")
def avatar(user, size: int = 32) -> dict:
    """A circle with the person's initials: no uploads, no third-party image service."""
    return {"avatar_user": user, "size": size}


@register.inclusion_tag("users/partials/user_name.html")
def user_name(user) -> dict:
    """A person as the pages show them: the display name (isolated, so right-to-left text
    cannot reorder what follows) next to the @handle, which is unique and cannot be faked."""
    return {"named_user": user}
