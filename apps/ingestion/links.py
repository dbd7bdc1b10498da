"""Code and project-page links in an abstract or an arXiv comment (plain text, often LaTeX).

Authors write links every way imaginable: bare (``github.com/foo/bar``), in LaTeX
(``\\url{...}``, ``\\href{...}{here}``), in parentheses, at the end of a sentence, with
``.git`` or ``/tree/main/...``. Only the repository and the page themselves are kept.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# GitHub's rules: an owner is 1-39 letters, digits or inner hyphens; a repository name is
# letters, digits, "-", "_" and ".". A dot or an @ before "github.com" means another host
# (gist.github.com, raw.githubusercontent.com) or an e-mail address.
_GITHUB_RE = re.compile(
    r"(?<![\w.@/-])(?:https?://)?(?:www\.)?github\.com/"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)/(?P<repo>[A-Za-z0-9._-]{1,100})",
    re.IGNORECASE,
)
# First path segments of github.com that are GitHub's own pages, not users or organisations.
_GITHUB_RESERVED = frozenset(
    {
        *("about", "account", "apps", "blog", "collections", "contact", "customer-stories"),
        *("enterprise", "events", "explore", "features", "issues", "join", "login"),
        *("marketplace", "new", "notifications", "orgs", "organizations", "pricing", "pulls"),
        *("readme", "search", "security", "settings", "site", "sponsors", "team", "topics"),
        *("trending", "users"),
    }
)
_URL_RE = re.compile(r"https?://[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'\"*"
_CLOSING = {")": "(", "]": "["}
# Hosts whose pages are not a paper's project page: the paper itself, its DOI, code
# hosting (kept apart as github_repo), videos, and link shorteners hiding the destination.
_EXCLUDED_HOSTS = (
    "arxiv.org",
    "doi.org",
    "github.com",
    "githubusercontent.com",
    "youtube.com",
    "youtu.be",
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "shorturl.at",
    "cutt.ly",
    "t.ly",
    "tiny.cc",
    "s.id",
)
# Static-site hosts: a link there is a project page whatever the words around it.
_PAGE_HOSTS = (".github.io", ".gitlab.io", ".pages.dev", ".netlify.app", ".vercel.app")
# Words announcing a project page shortly before its URL ("Project page: https://...").
_PAGE_WORDS_RE = re.compile(
    r"(?:project|demo)\s*(?:page|website|site|homepage)|web\s*site|home\s*page|web\s*page",
    re.IGNORECASE,
)
# How far before a URL its announcing words may be, without a sentence ending between.
_PAGE_WORDS_WINDOW = 60
_MAX_URL_LENGTH = 200  # Paper.github_repo and Paper.project_page are 200 characters long


def find_code_links(*texts: str) -> tuple[str, str]:
    """``(github_repo, project_page)`` mentioned first in ``texts``; "" when there is none.

    ``github_repo`` is normalised to ``https://github.com/<owner>/<repo>``; ``project_page``
    is a page on a static-site host (``*.github.io``) or a URL announced as the project's
    page, website or homepage, never arXiv, a DOI, GitHub, a video or a shortened link.
    """
    github_repo = project_page = ""
    for raw in texts:
        text = _unescape_latex(raw or "")
        if not github_repo:
            github_repo = _first_github_repo(text)
        if not project_page:
            project_page = _first_project_page(text)
        if github_repo and project_page:
            break
    return github_repo, project_page


def _unescape_latex(text: str) -> str:
    # LaTeX escapes inside URLs: \_ and \~ and \# and \%.
    return re.sub(r"\\([_~#%&])", r"\1", text)


def _first_github_repo(text: str) -> str:
    if "github.com" not in text.lower():  # the pattern is slow to rule out on long texts
        return ""
    for match in _GITHUB_RE.finditer(text):
        owner, repo = match.group("owner"), match.group("repo")
        if owner.lower() in _GITHUB_RESERVED:
            continue
        repo = repo.rstrip(".")
        if repo.lower().endswith(".git"):
            repo = repo[:-4].rstrip(".")
        if not repo:
            continue
        url = f"https://github.com/{owner}/{repo}"
        if len(url) <= _MAX_URL_LENGTH:
            return url
    return ""


def _first_project_page(text: str) -> str:
    if "://" not in text:
        return ""
    for match in _URL_RE.finditer(text):
        url = _strip_trailing(match.group(0))
        host = (urlsplit(url).hostname or "").lower()
        if not host or "." not in host or len(url) > _MAX_URL_LENGTH:
            continue
        if any(host == excluded or host.endswith("." + excluded) for excluded in _EXCLUDED_HOSTS):
            continue
        if host.endswith(_PAGE_HOSTS) or _announced_as_page(text[: match.start()]):
            return url
    return ""


def _announced_as_page(before: str) -> bool:
    window = before[-_PAGE_WORDS_WINDOW:]
    # Only the current sentence counts: "...website. See https://..." does not.
    window = re.split(r"[.;!?]\s", window)[-1]
    return bool(_PAGE_WORDS_RE.search(window))


def _strip_trailing(url: str) -> str:
    """Drop sentence punctuation after a URL, and closing brackets it does not open."""
    while url:
        last = url[-1]
        unopened = last in _CLOSING and url.count(last) > url.count(_CLOSING[last])
        if last not in _TRAILING_PUNCTUATION and not unopened:
            break
        url = url[:-1]
    return url
