"""arXiv identifiers: the versionless id is a paper's natural key."""

import re

# New style (since 2007): YYMM.NNNN or YYMM.NNNNN; old style: archive(.SUBJ)/YYMMNNN.
ARXIV_ID_PATTERN = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7})"
VERSION_PATTERN = r"v(?P<version>\d+)"

ARXIV_ID_RE = re.compile(rf"^{ARXIV_ID_PATTERN}$")
VERSIONED_ID_RE = re.compile(rf"^(?P<id>{ARXIV_ID_PATTERN})(?:{VERSION_PATTERN})?$")


def split_version(raw: str) -> tuple[str, int | None]:
    """``"2410.09692v2"`` -> ``("2410.09692", 2)``; raises ValueError for a non-arXiv id."""
    match = VERSIONED_ID_RE.match(raw.strip())
    if not match:
        raise ValueError(f"not an arXiv id: {raw!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None
