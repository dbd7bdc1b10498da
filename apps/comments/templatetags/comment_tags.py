from __future__ import annotations

from django import template

from apps.comments.selectors import Thread, comment_thread
from apps.core.navigation import login_url

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_discussion(context, paper) -> Thread:
    """A page of the paper's discussion in the order asked for by ``?sort=``, after the cursor
    ``?after=`` (the "More comments" link without JavaScript)."""
    query = context["request"].GET
    return comment_thread(paper=paper, sort=query.get("sort", ""), after=query.get("after", ""))


register.simple_tag(login_url)
