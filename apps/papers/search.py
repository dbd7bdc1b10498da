"""Full-text search over papers: query cleaning, arXiv-id detection, ranked and highlighted results.

The document is ``Paper.search_vector`` (title A, authors B, abstract C, English config) with a GIN
index. A query is read like a web search box (``websearch_to_tsquery``: quoted phrases, ``-word``,
``or``) plus prefix terms: a word ending in ``*`` and the last word typed (as-you-type), so that
``transf`` finds "transformers".
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import F, QuerySet, Subquery
from django.utils.safestring import SafeString, mark_safe

from apps.papers.arxiv_ids import ARXIV_ID_PATTERN
from apps.papers.models import POPULAR_UPVOTES, Paper

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
# Between the fragments of an abstract's snippet.
SNIPPET_DELIMITER = " … "


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


def _ranked(search: SearchQuery, candidates: QuerySet[Paper]) -> list[tuple]:
    """(id, rank, upvotes, published, arXiv id) of the candidates (a sliced queryset of ids)."""
    return list(
        Paper.objects.filter(pk__in=Subquery(candidates))
        .annotate(rank=SearchRank(F("search_vector"), search, cover_density=True))
        .values_list("pk", "rank", "upvotes_count", "published_on", "arxiv_id")
    )


def ranked_paper_ids(search: SearchQuery, *, limit: int = MAX_RESULTS) -> list[int]:
    """Ids of the matching papers, best first: cover-density rank, then upvotes, then newest.

    Only the ``limit`` most upvoted matches are ranked: a broad query ("model") matches most of
    the table, and ranking every match would read every paper's vector. They are looked for
    among the papers with POPULAR_UPVOTES or more first (a tenth of them, with a GIN index of
    their own): when ``limit`` match there, they are the most upvoted matches of all. There
    PostgreSQL either walks the upvotes index and stops after ``limit`` matches (broad queries)
    or reads the matches from the small index; the full table's GIN index, whose matches may be
    tens of thousands at a million papers, is read only for narrow queries (fewer popular
    matches than ``limit``), with its bitmap scan (a walk of the whole upvotes index would read
    every row). The rank is computed for the candidates only. A statement timeout bounds
    pathological queries (a rare phrase of very common words): those give no results instead
    of tying up a worker.
    """
    matches = Paper.objects.filter(search_vector=search).order_by("-upvotes_count", "-id")
    popular = matches.filter(upvotes_count__gte=POPULAR_UPVOTES).values("pk")[:limit]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [SEARCH_TIMEOUT])
            rows = _ranked(search, popular)
            if len(rows) < limit:
                cursor.execute("SET LOCAL enable_indexscan = off")
                rows = _ranked(search, matches.values("pk")[:limit])
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
    return queryset.defer("search_vector").annotate(
        title_highlight=SearchHeadline("title", search, highlight_all=True, **options),
        abstract_highlight=SearchHeadline(
            "abstract",
            search,
            max_words=28,
            min_words=12,
            max_fragments=2,
            fragment_delimiter=SNIPPET_DELIMITER,
            **options,
        ),
    )


# Where the browser will find formulas: the delimiters of static/js/math.js, matched the way
# KaTeX's auto-render matches them (first opening delimiter, then its closing one outside braces).
_FORMULA_OPEN = re.compile(r"\$\$|\\\[|\$|\\\(")
_FORMULA_CLOSE = {"$$": "$$", "\\[": "\\]", "$": "$", "\\(": "\\)"}
# A search snippet cut inside a formula is widened to the whole formula up to this many
# characters; beyond that the partial formula is left out.
_MAX_FORMULA_WIDENING = 200


def _formula_end(text: str, closing: str, index: int) -> int:
    depth = 0
    while index < len(text):
        if depth <= 0 and text.startswith(closing, index):
            return index
        char = text[index]
        if char == "\\":
            index += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        index += 1
    return -1


def formula_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each formula in ``text``, delimiters included."""
    spans, position = [], 0
    while match := _FORMULA_OPEN.search(text, position):
        closing = _FORMULA_CLOSE[match.group()]
        end = _formula_end(text, closing, match.end())
        if end == -1:
            break  # unclosed: auto-render leaves the rest as text
        position = end + len(closing)
        spans.append((match.start(), position))
    return spans


_MARKERS = re.compile(f"([{_START}{_STOP}])")


def _unmark(headline: str) -> tuple[str, list[tuple[int, int]]]:
    """A headline's text without the match markers, and the (start, end) of each match in it."""
    text, matches, length, match_start = [], [], 0, None
    for piece in _MARKERS.split(headline):
        if piece == _START:
            match_start = length
        elif piece == _STOP:
            if match_start is not None:
                matches.append((match_start, length))
            match_start = None
        else:
            text.append(piece)
            length += len(piece)
    if match_start is not None:  # a match cut off by the end of the fragment
        matches.append((match_start, length))
    return "".join(text), matches


def _merged(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _fragment_html(fragment: str, source: str, spans: list[tuple[int, int]]) -> str:
    """One fragment of a headline, widened or trimmed to whole formulas of ``source``, as
    escaped HTML with ``<mark>`` around its matches (a formula with a match in it marked whole)."""
    text, matches = _unmark(fragment)
    start = source.find(text)
    if start == -1:  # not a verbatim piece of the source: judge the fragment on its own
        source, start, spans = text, 0, formula_spans(text)
    first, last = start, start + len(text)
    for left, right in spans:
        if left < first < right:
            first = left if first - left <= _MAX_FORMULA_WIDENING else right
        if left < last < right:
            last = right if right - last <= _MAX_FORMULA_WIDENING else left
    if last <= first:
        return ""
    clipped = [(max(start + a, first), min(start + b, last)) for a, b in matches]
    marked = [(a, b) for a, b in clipped if a < b]
    marked += [
        (left, right)
        for left, right in spans
        if first <= left and right <= last and any(a < right and left < b for a, b in marked)
    ]
    parts, position = [], first
    for left, right in _merged(marked):
        parts += [html.escape(source[position:left]), "<mark>", html.escape(source[left:right])]
        parts.append("</mark>")
        position = right
    parts.append(html.escape(source[position:last]))
    return "".join(parts)


def math_highlight(headline: str, source: str, fragment_delimiter: str = "") -> SafeString:
    """A search headline (matches between our private markers) as HTML in which maths can
    still be typeset: escaped, with ``<mark>`` around the matches.

    KaTeX's auto-render finds a formula only inside one text node, so a ``<mark>`` inside a
    formula leaves raw TeX; and ts_headline cuts snippets at words, often inside a formula.
    Each fragment is matched back to ``source`` and made to hold whole formulas, and a
    formula with a match in it is marked whole. (Plain ``html.escape`` and joins: this runs for
    every result of a search page, where ``format_html`` per piece cost milliseconds.)
    """
    fragments = headline.split(fragment_delimiter) if fragment_delimiter else [headline]
    spans = formula_spans(source)
    html_fragments = [_fragment_html(fragment, source, spans) for fragment in fragments]
    # Every piece of text in it went through html.escape above.
    return mark_safe(html.escape(fragment_delimiter).join(html_fragments))  # noqa: S308


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
