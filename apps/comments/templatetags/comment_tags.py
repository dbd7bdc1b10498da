from __future__ import annotations

from django import template

from apps.comments.selectors import Thread, comment_thread
from apps.core.navigation import login_url

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_discussion(context, paper) -> Thread:
    """The paper's comment tree in the order asked for by ``?sort=``."""
    return comment_thread(paper=paper, sort=context["request"].GET.get("sort", ""))


register.simple_tag(login_url)
