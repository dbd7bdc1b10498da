"""Compact counts for cards: "★ 1.2k"."""

from django import template

register = template.Library()

_UNITS = ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k"))


@register.filter
def compact_count(value: int | None) -> str:
    """999 → "999", 1234 → "1.2k", 15300 → "15.3k", 999999 → "1M", 1_200_000 → "1.2M".

    Rounds to one decimal, drops a trailing ".0", and moves up a unit when rounding reaches
    1000 of the current one; an empty string for None (or anything not a number).
    """
    try:
        count = int(value)
    except (TypeError, ValueError):
        return ""
    for index, (size, suffix) in enumerate(_UNITS):
        if abs(count) < size:
            continue
        scaled = round(count / size, 1)
        if abs(scaled) >= 1000 and index > 0:
            size, suffix = _UNITS[index - 1]
            scaled = round(count / size, 1)
        return f"{scaled:g}{suffix}"
    return str(count)
