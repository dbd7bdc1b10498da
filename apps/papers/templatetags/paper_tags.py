"""Template helpers for paper text."""

import re
from collections.abc import Iterable

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Unescaped TeX delimiters: $$, $, \( \), \[ \].
_MATH_TOKEN = re.compile(r"(?<!\\)(\$\$|\$|\\\(|\\\)|\\\[|\\\])")
_CLOSING = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}


def _open_math_at(text: str, cut: int) -> str | None:
    """The closing delimiter still expected at ``cut``, if ``cut`` falls inside maths."""
    expected = None
    for match in _MATH_TOKEN.finditer(text, 0, cut):
        token = match.group(1)
        if expected is None and token in _CLOSING:
            expected = _CLOSING[token]
        elif token == expected:
            expected = None
    return expected


@register.filter
def math_excerpt(text: str, length: int = 320) -> str:
    """Shorten ``text`` to about ``length`` characters at a word boundary, never cutting
    through a formula (a half formula would show as raw TeX instead of rendered maths)."""
    text = " ".join(str(text).split())
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length + 1)
    cut = cut if cut > 0 else length
    closing = _open_math_at(text, cut)
    while closing is not None:
        end = text.find(closing, cut)
        if end == -1 or end - cut > 200:
            # Too long to keep: stop before the formula instead.
            starts = [m.start() for m in _MATH_TOKEN.finditer(text, 0, cut)]
            cut = starts[-1] if starts else cut
        else:
            cut = end + len(closing)
        closing = _open_math_at(text, cut)
    return text[:cut].rstrip(" ,;:") + "\N{HORIZONTAL ELLIPSIS}"


@register.simple_tag
def author_list(authorships: Iterable, limit: int | None = None) -> str:
    """Authors as HTML, in order, the first ``limit`` then "et al.".

    A name links to its user's profile once the authorship is claimed (``claimed_by``).
    A Python tag rather than an include per name: cards render 50 lists of names per page.
    """
    authorships = list(authorships)
    shown = authorships if limit is None else authorships[:limit]
    names = []
    for authorship in shown:
        user = getattr(authorship, "claimed_by", None)
        if user is not None:
            names.append(
                format_html(
                    '<a class="author claimed" href="{}">{}</a>',
                    user.get_absolute_url(),
                    authorship.author.name,
                )
            )
        else:
            names.append(conditional_escape(authorship.author.name))
    if len(shown) < len(authorships):
        names[-1] += " et al."
    return mark_safe(", ".join(names))  # noqa: S308 - each name went through an escape


@register.simple_tag
def author_names(names: list[str] | None, limit: int) -> str:
    """A card's authors: the first ``limit`` names, then "et al." (plain, escaped text)."""
    names = names or []
    shown = ", ".join(names[:limit])
    return f"{shown} et al." if len(names) > limit else shown
