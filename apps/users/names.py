"""Display names: free text, but not a way to pass for someone else or for the site itself.

Names are shown next to the @handle (``users/partials/user_name.html``), which is unique and
plain ASCII, so two people called "Wei Zhang" stay distinguishable and a copied name does not
pass for its owner: same names are allowed (people share names). What is refused: characters
that are invisible or reorder the text around them (bidi overrides, zero-width and other
format or control characters, unassigned and private-use code points), piles of combining
marks, a leading "@" (a fake handle), letters of two scripts in one word (look-alike letters,
e.g. a Cyrillic "a" in "Paperboard") and, for anyone but staff and moderators, names that
claim a site role ("Paperboard Moderator", "ADMIN", "Staff").
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

from apps.users.models import User
from apps.users.roles import user_is_moderator

# Control (Cc), format (Cf: bidi controls, zero-width joiners/spaces, soft hyphen...),
# surrogates (Cs), private use (Co), unassigned (Cn), line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and marks that render as nothing (fillers, blank pattern, variation selectors...).
INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    + "".join(chr(code) for code in range(0xFE00, 0xFE10))
    + "".join(chr(code) for code in range(0xE0100, 0xE01F0))
)
MAX_COMBINING_RUN = 3
# Claimed anywhere in the name once only letters are kept ("Paper-board M0derator")...
ROLE_WORDS = ("paperboard", "moderator", "administrator")
# ...or as a whole word: short words that are also parts of ordinary words.
ROLE_TOKENS = frozenset({"admin", "admins", "mod", "mods", "staff"})
# Digits written for look-alike letters.
LEET = str.maketrans("013457", "oieast")


# Every space separator (Unicode category Zs); line breaks and tabs are refused, not mended.
SPACES = re.compile("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def normalise_display_name(value: str) -> str:
    """Single plain spaces: a run of spaces of any kind (no-break, em, ideographic) is one."""
    return SPACES.sub(" ", value or "").strip()


def _folded(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold().translate(LEET)


def _scripts(word: str) -> set[str]:
    # The first word of a letter's Unicode name is its script (LATIN, CYRILLIC, GREEK...).
    return {unicodedata.name(char, "?").split()[0] for char in word if char.isalpha()}


def display_name_problem(value: str, *, privileged: bool = False) -> str | None:
    """Why ``value`` cannot be a display name, or None. ``privileged``: staff or moderator."""
    combining = 0
    for char in value:
        if unicodedata.category(char) == "Cc":
            return "Use a single line without control characters."
        if unicodedata.category(char) in REFUSED_CATEGORIES or char in INVISIBLE:
            return (
                "Remove invisible or control characters (such as direction marks or "
                f"zero-width spaces): U+{ord(char):04X} is not allowed."
            )
        combining = combining + 1 if unicodedata.combining(char) else 0
        if combining > MAX_COMBINING_RUN:
            return "Too many accents stacked on one letter."
    if value.startswith(("@", "\uff20")):  # and the full-width @
        return "Start your name with a letter: the @handle is shown next to it anyway."
    folded = _folded(value)
    words = re.findall(r"[^\W_]+", folded)
    if any(len(_scripts(word) - {"?"}) > 1 for word in words):
        return "Use one alphabet per word: mixed look-alike letters are not allowed."
    if not privileged:
        letters = "".join(char for char in folded if char.isalpha())
        if any(word in letters for word in ROLE_WORDS) or ROLE_TOKENS.intersection(words):
            return "That name is reserved for the site and its moderators."
    return None


def validate_display_name(value: str, *, user: User | None) -> None:
    """Raise ValidationError when ``user`` may not use ``value`` as display name."""
    privileged = user is not None and (user.is_staff or user_is_moderator(user))
    problem = display_name_problem(value, privileged=privileged)
    if problem:
        raise ValidationError(problem, code="display_name")
