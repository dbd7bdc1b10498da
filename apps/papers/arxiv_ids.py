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


# Archives that had old-style ids (archive/YYMMNNN), until March 2007.
OLD_STYLE_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip
_INPUT_NEW_RE = re.compile(r"(?P<yymm>\d{4})\.(?P<number>\d{4,5})(?:v(?P<version>\d+))?", re.I)
# The subject class (math.GT/0309136) is not part of the identifier: arXiv drops it.
_INPUT_OLD_RE = re.compile(
    r"(?P<archive>[a-z][a-z\-]+)(?:\.[a-z]{2})?/(?P<yymm>\d{4})(?P<number>\d{3})"
    r"(?:v(?P<version>\d+))?",
    re.I,
)
_PREFIX_RE = re.compile(
    r"^(?:"
    r"(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*"  # a DOI link or a "doi:" label
    r")?10\.48550/arxiv\.|^arxiv:\s*",
    re.I,
)
_URL_RE = re.compile(
    r"^(?:https?://)?(?P<host>(?:www\.|export\.)?arxiv\.org|(?:www\.)?huggingface\.co)"
    r"/(?P<path>[^?#]*)(?:[?#].*)?$",
    re.I,
)
_ARXIV_PATHS = ("abs/", "pdf/", "html/", "format/")
_EXAMPLES = "such as 2410.09692, arXiv:2410.09692 or https://arxiv.org/abs/2410.09692"


def _id_from_url(text: str) -> str | None:
    """The id part of an arXiv (or Hugging Face papers) link, or None if ``text`` is no link."""
    match = _URL_RE.match(text)
    if not match:
        return None
    host, path = match.group("host").lower(), match.group("path").strip("/")
    prefixes = ("papers/",) if host.endswith("huggingface.co") else _ARXIV_PATHS
    for prefix in prefixes:
        if path.lower().startswith(prefix):
            path = path[len(prefix) :]
            return path.removesuffix(".pdf").removesuffix(".PDF")
    raise ValueError(
        f"{text!r} links to a page that is not a paper; enter the paper's id or link, {_EXAMPLES}."
    )


def _checked(yymm: str, *, old_style: bool, raw: str) -> None:
    """Refuse ids whose date part arXiv never issued (month 13, before April 2007, ...)."""
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        raise ValueError(f"{raw!r} is not an arXiv id: its month ({yymm[2:]}) does not exist.")
    if old_style:
        # Old-style ids ran from August 1991 (9108) to March 2007 (0703).
        full = (1900 if year >= 91 else 2000) + year
        if not (1991, 8) <= (full, month) <= (2007, 3):
            raise ValueError(f"{raw!r} is not an arXiv id: old-style ids end in March 2007.")
    elif (year, month) < (7, 4):
        raise ValueError(f"{raw!r} is not an arXiv id: new-style ids start in April 2007.")


def arxiv_id_from_input(text: str) -> tuple[str, int | None]:
    """What a person pastes -> (versionless id, version or None); ValueError says what's wrong.

    Accepts a bare id (``2410.09692``, ``2410.09692v2``, old style ``hep-th/9901001``), with
    an ``arXiv:`` prefix, an abs/pdf/html link on arxiv.org (any of its hosts), a Hugging
    Face papers link, and the arXiv DOI (``10.48550/arXiv.2410.09692``, or as a doi.org
    link). Old-style ids lose their subject class (``math.GT/0309136`` -> ``math/0309136``).
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError(f"Enter an arXiv id or link, {_EXAMPLES}.")
    if len(raw) > 300:
        raise ValueError("That is too long for an arXiv id or link.")
    candidate = _PREFIX_RE.sub("", raw, count=1)
    candidate = _id_from_url(candidate) or candidate
    if match := _INPUT_NEW_RE.fullmatch(candidate):
        yymm, number = match.group("yymm"), match.group("number")
        _checked(yymm, old_style=False, raw=raw)
        # Four-digit numbers until December 2014, five from January 2015.
        if (len(number) == 5) != (yymm >= "1501"):
            digits = "five" if yymm >= "1501" else "four"
            raise ValueError(
                f"{raw!r} is not an arXiv id: ids from {yymm[2:]}/20{yymm[:2]} have {digits} "
                "digits after the dot."
            )
        arxiv_id = f"{yymm}.{number}"
    elif match := _INPUT_OLD_RE.fullmatch(candidate):
        archive = match.group("archive").lower()
        if archive not in OLD_STYLE_ARCHIVES:
            raise ValueError(f"{raw!r} is not an arXiv id: there is no archive {archive!r}.")
        _checked(match.group("yymm"), old_style=True, raw=raw)
        arxiv_id = f"{archive}/{match.group('yymm')}{match.group('number')}"
    else:
        raise ValueError(f"{raw!r} is not an arXiv id or link. Enter one {_EXAMPLES}.")
    version = match.group("version")
    if version is not None and int(version) < 1:
        raise ValueError(f"{raw!r} is not an arXiv id: versions start at v1.")
    return arxiv_id, int(version) if version is not None else None
