"""Full-text search over papers: query cleaning, arXiv-id detection, ranked and highlighted results.

The document is ``Paper.search_vector`` (title A, authors B, abstract C, English config) with a GIN
index. A query is read like a web search box (``websearch_to_tsquery``: quoted phrases, ``-word``,
``or``) plus prefix terms: a word ending in ``*`` and the last word typed (as-you-type), so that
``transf`` finds "transformers".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import F, QuerySet, Subquery
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.papers.arxiv_ids import ARXIV_ID_PATTERN
from apps.papers.models import Paper

SEARCH_CONFIG = "english"
# Longer input is cut: nobody types more, and it bounds the work PostgreSQL does per query.
MAX_QUERY_LENGTH = 200
# Beyond this many prefix terms the rest are searched as plain words.
MAX_PREFIX_TERMS = 5
# A search ranks at most this many matches (5 pages); see ranked_paper_ids.
MAX_RESULTS = 100
SEARCH_TIMEOUT = "1500ms"

_ARXIV_REFERENCE_RE = re.compile(
    rf"""^\s*(?:
        (?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/
        | arxiv:\s*
    )?
    (?P<id>{ARXIV_ID_PATTERN})(?:v\d+)?(?:\.pdf)?/?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TOKEN_RE = re.compile(r'"[^"]*"?|\S+')
_WORD_PART_RE = re.compile(r"[^\W_]+")
# Marks that survive escaping; ts_headline wraps matches in them and nothing else can produce them.
_START, _STOP = "\ue000", "\ue001"


def clean_query(raw: str | None) -> str:
    """Make any user input a safe, bounded query string.

    Drops NUL, other control characters and lone surrogates (PostgreSQL rejects them), folds
    compatibility forms (full-width letters) and collapses whitespace.
    """
    if not raw:
        return ""
    text = raw[: MAX_QUERY_LENGTH * 4]
    text = text.encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    # Category C covers controls, surrogates and private-use marks (our highlight markers too).
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def arxiv_id_in_query(query: str) -> str | None:
    """The versionless arXiv id when the query is an id, a versioned id or an arXiv abs/pdf URL."""
    match = _ARXIV_REFERENCE_RE.match(query)
    if not match:
        return None
    arxiv_id = match.group("id")
    archive, sep, number = arxiv_id.partition("/")
    if not sep:
        return arxiv_id
    # Old-style ids: the archive is lower case, its subject class upper case (math.AG/0601001).
    name, dot, subject = archive.partition(".")
    return f"{name.lower()}{dot}{subject.upper()}/{number}"


def build_search_query(query: str, *, raw_query: str | None = None) -> SearchQuery | None:
    """The tsquery for a cleaned query, or None when it has no searchable word.

    ``raw_query`` is what the user typed: when it ends in a space, the last word is complete and
    is not used as a prefix.
    """
    tokens = _TOKEN_RE.findall(query)
    words: list[str] = []
    prefixes: list[str] = []
    typing_last_word = not (raw_query or query).endswith((" ", "\t", "\n"))
    for index, token in enumerate(tokens):
        is_last = index == len(tokens) - 1
        plain_word = not token.startswith(('"', "-")) and token.lower() != "or"
        wants_prefix = plain_word and (token.endswith("*") or (is_last and typing_last_word))
        parts = _WORD_PART_RE.findall(token) if wants_prefix else []
        if parts and len(prefixes) < MAX_PREFIX_TERMS:
            words.extend(parts[:-1])
            prefixes.append(parts[-1].lower())
        else:
            words.append(token.replace("*", " "))
    search: SearchQuery | None = None
    text = " ".join(words).strip()
    if _WORD_PART_RE.search(text):
        search = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    for prefix in prefixes:
        # The part holds only letters and digits, so the quoted lexeme cannot break the syntax.
        term = SearchQuery(f"'{prefix}':*", search_type="raw", config=SEARCH_CONFIG)
        search = term if search is None else search & term
    return search


def ranked_paper_ids(search: SearchQuery, *, limit: int = MAX_RESULTS) -> list[int]:
    """Ids of the matching papers, best first: cover-density rank, then upvotes, then newest.

    Only the ``limit`` most upvoted matches are ranked: a broad query ("model") matches most of
    the table, and ranking every match would read every paper's (large, TOASTed) vector. The
    inner query either walks the upvotes index and stops after ``limit`` matches or, for a
    narrow query, takes the matches from the GIN index; the rank is computed for those only.
    A statement timeout bounds pathological queries (a rare phrase of very common words):
    those give no results instead of tying up a worker.
    """
    candidates = (
        Paper.objects.filter(search_vector=search)
        .order_by("-upvotes_count", "-id")
        .values("pk")[:limit]
    )
    ranked = (
        Paper.objects.filter(pk__in=Subquery(candidates))
        .annotate(rank=SearchRank(F("search_vector"), search, cover_density=True))
        .values_list("pk", "rank", "upvotes_count", "published_on", "arxiv_id")
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [SEARCH_TIMEOUT])
            rows = list(ranked)
    except OperationalError:
        return []
    rows.sort(key=lambda row: (-row[1], -row[2], -row[3].toordinal(), row[4]))
    return [row[0] for row in rows]


def papers_in_order(queryset: QuerySet[Paper], ids: list[int]) -> list[Paper]:
    """The papers with these ids, in the order of ``ids``."""
    by_id = {paper.pk: paper for paper in queryset.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def with_highlights(queryset: QuerySet[Paper], search: SearchQuery) -> QuerySet[Paper]:
    """Add ``title_highlight`` and ``abstract_highlight`` (run on one page of results only)."""
    options = {"start_sel": _START, "stop_sel": _STOP, "config": SEARCH_CONFIG}
    return queryset.annotate(
        title_highlight=SearchHeadline("title", search, highlight_all=True, **options),
        abstract_highlight=SearchHeadline(
            "abstract",
            search,
            max_words=28,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=" … ",
            **options,
        ),
    )


def safe_highlight(text: str) -> SafeString:
    """Escape a headline and turn only our private match markers into ``<mark>`` tags."""
    escaped = escape(text)
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


@dataclass(frozen=True)
class ParsedSearch:
    text: str
    arxiv_id: str | None
    query: SearchQuery | None


def parse_search(raw: str | None) -> ParsedSearch:
    text = clean_query(raw)
    arxiv_id = arxiv_id_in_query(text) if text else None
    query = build_search_query(text, raw_query=raw) if text else None
    return ParsedSearch(text=text, arxiv_id=arxiv_id, query=query)
