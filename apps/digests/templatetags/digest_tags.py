"""The subscribe box on the daily pages, and addresses shown masked on the token pages."""

from __future__ import annotations

from django import template

from apps.digests import selectors
from apps.digests.models import Subscription

register = template.Library()


@register.simple_tag(takes_context=True)
def digest_subscription(context) -> Subscription | None:
    """``{% digest_subscription as subscription %}``: the reader's own subscription; no query
    for visitors, one for an account."""
    user = getattr(context.get("request"), "user", None)
    return selectors.subscription_for_user(user=user) if user is not None else None


@register.filter
def masked_email(address: str) -> str:
    """``reader@example.org`` → ``r•••@example.org``: enough for its owner to recognise."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"


@register.filter
def hour_label(hour: int) -> str:
    return f"{hour:02d}:00"
