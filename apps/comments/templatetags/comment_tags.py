from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.shortcuts import resolve_url

from apps.comments.selectors import Thread, comment_thread

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_discussion(context, paper) -> Thread:
    """The paper's comment tree in the order asked for by ``?sort=``."""
    request = context["request"]
    return comment_thread(paper=paper, user=request.user, sort=request.GET.get("sort", ""))


@register.simple_tag
def login_url(next_url: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"
