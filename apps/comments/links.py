"""The URLs a discussion gives each comment, from one ``reverse()`` per kind and page.

A page of a discussion links every comment five or six times (its permalink, reply, author...);
``{% url %}`` for each cost a third of the time to render the page. Each kind of URL is reversed
once, with a placeholder where the comment's id (or the author's name) goes, and the page fills
it in: the same URLs, quoted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

_ID = 918273645  # stands for a comment's id in a reversed URL
_NAME = "placeholder"  # stands for a username


@dataclass(frozen=True)
class _Pattern:
    before: str
    after: str

    @classmethod
    def of(cls, name: str, *args: object, placeholder: object = _ID) -> _Pattern:
        before, after = reverse(name, args=[*args, placeholder]).split(str(placeholder))
        return cls(before, after)

    def __call__(self, value: object) -> str:
        return f"{self.before}{value}{self.after}"


@dataclass(frozen=True)
class CommentLinks:
    """URL patterns for the comments of one paper."""

    permalink: _Pattern
    replies: _Pattern
    reply: _Pattern
    edit: _Pattern
    delete: _Pattern
    profile: _Pattern

    @classmethod
    def for_paper(cls, arxiv_id: str) -> CommentLinks:
        return cls(
            permalink=_Pattern.of("comments:detail", arxiv_id),
            replies=_Pattern.of("comments:replies", arxiv_id),
            reply=_Pattern.of("comments:reply"),
            edit=_Pattern.of("comments:edit"),
            delete=_Pattern.of("comments:delete"),
            profile=_Pattern.of("profiles:detail", placeholder=_NAME),
        )

    def profile_of(self, username: str) -> str:
        """As ``reverse()`` quotes it."""
        return self.profile(quote(username, safe=RFC3986_SUBDELIMS + "/~:@"))
