"""Validation of the profile links: each must point where its label says."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

ORCID_RE = re.compile(r"^(\d{4})-(\d{4})-(\d{4})-(\d{3}[\dX])$")
ORCID_URL_PREFIX = "https://orcid.org/"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def validate_github_url(value: str) -> None:
    parts = urlsplit(value)
    if _host(value) not in {"github.com", "www.github.com"} or not parts.path.strip("/"):
        raise ValidationError("Enter a GitHub profile address, e.g. https://github.com/yourname.")


# scholar.google.com, .de, .co.uk, .com.au, … and nothing under another domain.
_SCHOLAR_HOST = re.compile(r"scholar\.google\.(?:com|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})")


def validate_scholar_url(value: str) -> None:
    if not _SCHOLAR_HOST.fullmatch(_host(value)) or "user=" not in urlsplit(value).query:
        raise ValidationError(
            "Enter a Google Scholar profile address, e.g. "
            "https://scholar.google.com/citations?user=XXXXXXXXXXXX."
        )


def orcid_checksum_ok(identifier: str) -> bool:
    """ISO 7064 11,2 check digit, as ORCID specifies."""
    digits = identifier.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def normalise_orcid(value: str) -> str:
    """Accept a bare iD or any orcid.org address; return the canonical https URL."""
    value = value.strip()
    if not value:
        return ""
    identifier = value
    if "orcid.org" in value.lower():
        identifier = urlsplit(value if "//" in value else f"https://{value}").path.strip("/")
    return f"{ORCID_URL_PREFIX}{identifier.upper()}"


def validate_orcid_url(value: str) -> None:
    identifier = value.removeprefix(ORCID_URL_PREFIX)
    match = ORCID_RE.match(identifier)
    if not value.startswith(ORCID_URL_PREFIX) or not match or not orcid_checksum_ok(identifier):
        raise ValidationError(
            "Enter a valid ORCID iD, e.g. 0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097."
        )
