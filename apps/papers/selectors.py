"""Reads for papers: querysets that already carry what the pages need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Literal

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import CharField, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from apps.core.db import nearest_values
from apps.papers.models import AuthorClaim, Authorship, DailyEntry, Paper, PaperAlias
from apps.papers.periods import Period, PeriodKind
from apps.users.models import User


def _authorships(lookup: str) -> list[Prefetch | str]:
    """Ordered authorships, then their authors by primary key (for a paper's own page).

    Two queries rather than one join: with a large author table PostgreSQL hashes the whole
    table for the join, while an ``id = ANY(...)`` lookup stays a few index probes.
    """
    return [
        Prefetch(lookup, queryset=Authorship.objects.order_by("position")),
        f"{lookup}__author",
    ]


def _author_names(paper_ref: str) -> Subquery:
    """The paper's author names in order, as one array: a correlated subquery.

    Lists show names only, and building an Authorship and an Author object per name cost more
    than the query itself.
    """
    names = (
        Authorship.objects.filter(paper=OuterRef(paper_ref))
        .order_by()
        .values("paper")
        .annotate(names=ArrayAgg("author__name", order_by="position"))
        .values("names")
    )
    return Subquery(names, output_field=ArrayField(CharField()))


def _listing(entries: QuerySet[DailyEntry]) -> QuerySet[DailyEntry]:
    """Entries with paper, submitter and ``author_names`` (a list in order), in one query."""
    return (
        entries.select_related("paper", "submitted_by")
        .defer("paper__search_vector")
        .annotate(author_names=_author_names("paper_id"))
    )


def daily_entries_in_period(*, start: dt.date, end: dt.date) -> QuerySet[DailyEntry]:
    """The papers placed on days ``start`` to ``end`` (both included), ranked by upvotes.

    Ties go to the newest submission, then to the arXiv id so that the order is total.
    """
    return _listing(DailyEntry.objects.filter(day__range=(start, end))).order_by(
        "-paper__upvotes_count", "-submitted_at", "paper__arxiv_id"
    )


def page_of(entries: QuerySet[DailyEntry], *, number: str | int | None, per_page: int) -> Page:
    """One page of a ranked entries queryset, in two steps.

    The ranking (count, then ids in order) reads only indexes (see the paper's covering
    index); the wide rows, related objects and authors are then loaded for that page alone.
    A missing or bad page number gives the first or last page.
    """
    page = Paginator(entries.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    page.object_list = list(entries.filter(pk__in=ids)) if ids else []
    return page


def latest_day_with_papers() -> dt.date | None:
    return DailyEntry.objects.aggregate(day=Max("day"))["day"]


def neighbouring_days(
    *, day: dt.date, end: dt.date | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The nearest day with papers before ``day`` and after ``end`` (default: ``day``).

    Empty days are skipped, so previous/next links never lead to an empty page. One query,
    two index probes on ``DailyEntry.day``.
    """
    return nearest_values(DailyEntry, "day", below=day, above=end or day)


def paper_by_arxiv_id(*, arxiv_id: str) -> Paper | None:
    return Paper.objects.filter(arxiv_id=arxiv_id).first()


def papers_with_author_names(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    """Papers with their daily entry, submitter and ``author_names`` (a list, in order), in
    one query for a whole listing."""
    return queryset.select_related("daily_entry__submitted_by").annotate(
        author_names=_author_names("pk")
    )


DailySort = Literal["published", "trending"]
_DAILY_ORDER: dict[DailySort, tuple[tuple[str, ...], str]] = {
    # (the ORM's ordering of the listed papers, the same in SQL for the ranking below)
    "published": (("-daily_entry__submitted_at", "-id"), "e.submitted_at DESC, e.paper_id DESC"),
    "trending": (
        ("-trending_score", "-upvotes_count", "-daily_entry__submitted_at", "-id"),
        "p.trending_score DESC, p.upvotes_count DESC, e.submitted_at DESC, e.paper_id DESC",
    ),
}
# The ids of one slice of the daily list, ranked on narrow rows. A period's entries are read
# first (MATERIALIZED: the day index, then a sort of that period's rows alone). Left to itself
# PostgreSQL walked the submission-time or trending index from the top, expecting the
# period's entries to come soon, and skipped every newer or hotter entry first: 0.5 s for a
# week half a year back at 1M papers (bench/README.md). Without a period, walking the index
# is right, and the CTE is inlined. The papers' scores come from papers_paper_rank_cover.
_DAILY_RANKING = """
WITH e AS {materialized} (
    SELECT paper_id, submitted_at FROM papers_dailyentry e WHERE {where}
)
SELECT e.paper_id FROM e {join}
ORDER BY {order}
LIMIT %s OFFSET %s
"""


class DailyPapers:
    """The daily list, ranked, read one slice at a time: ``daily_papers(...)[20:40]``
    (iterating reads it all).

    Slicing ranks the ids of the slice (see ``_DAILY_RANKING``) and loads those papers alone
    with their authors and submitter, in one query.
    """

    def __init__(self, *, where: list[str], params: list, sort: DailySort, period: bool) -> None:
        self.where, self.params, self.sort, self.period = where, params, sort, period

    def __getitem__(self, window: slice) -> list[Paper]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("Slice the daily list with [start:stop].")
        start = window.start or 0
        limit = None if window.stop is None else max(0, window.stop - start)
        order, order_sql = _DAILY_ORDER[self.sort]
        ranking = _DAILY_RANKING.format(
            materialized="MATERIALIZED" if self.period else "NOT MATERIALIZED",
            where=" AND ".join(self.where) or "TRUE",
            join="JOIN papers_paper p ON p.id = e.paper_id" if self.sort == "trending" else "",
            order=order_sql,
        )
        # Fixed SQL of this module; every value is a parameter (LIMIT NULL: no limit).
        ids = RawSQL(ranking, [*self.params, limit, start])  # noqa: S611
        papers = Paper.objects.filter(pk__in=ids).defer("search_vector")
        return list(papers_with_author_names(papers).order_by(*order))

    def __iter__(self) -> Iterator[Paper]:
        return iter(self[0:None])


def daily_papers(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    submitter: str | None = None,
    sort: DailySort = "published",
) -> DailyPapers:
    """Papers on the daily list between two days (inclusive), newest submission or trending
    first, to slice (see ``DailyPapers``).

    ``submitter`` is a username (any case); an unknown one simply matches nothing.
    """
    where: list[str] = []
    params: list = []
    if start is not None:
        where.append("e.day >= %s")
        params.append(start)
    if end is not None:
        where.append("e.day <= %s")
        params.append(end)
    if submitter:
        # The unique index on lower(username) finds the account.
        where.append(
            "e.submitted_by_id = (SELECT id FROM users_user WHERE lower(username) = lower(%s))"
        )
        params.append(submitter)
    # A submitter's entries come in submission order from their index, not by trending score.
    period = start is not None or end is not None or (bool(submitter) and sort == "trending")
    return DailyPapers(where=where, params=params, sort=sort, period=period)


def neighbouring_periods(*, period: Period) -> tuple[Period | None, Period | None]:
    """The nearest periods of the same kind, before and after, that have papers."""
    previous_day, next_day = neighbouring_days(day=period.start, end=period.end)
    kind: PeriodKind = period.kind
    return (
        Period.containing(kind, previous_day) if previous_day else None,
        Period.containing(kind, next_day) if next_day else None,
    )


def daily_entries_recent(*, limit: int) -> QuerySet[DailyEntry]:
    """The newest days' papers, each day ranked like its page (for the daily feed).

    Ranked on narrow rows first (a subquery with its own LIMIT), so that only the listed
    entries' papers are read.
    """
    order = ("-day", "-paper__upvotes_count", "-submitted_at", "paper__arxiv_id")
    ranked = DailyEntry.objects.order_by(*order).values("pk")[:limit]
    return _listing(DailyEntry.objects.filter(pk__in=Subquery(ranked))).order_by(*order)


def daily_entries_trending(*, limit: int = 50) -> QuerySet[DailyEntry]:
    """The hottest papers by stored ``trending_score`` (see services), one indexed query."""
    return _listing(DailyEntry.objects.all()).order_by(
        "-paper__trending_score", "-submitted_at", "paper__arxiv_id"
    )[:limit]


def paper_for_page(*, arxiv_id: str) -> Paper | None:
    """A paper with its entry, submitter and ordered authors, or None."""
    return (
        Paper.objects.select_related("daily_entry__submitted_by")
        .defer("search_vector")
        .prefetch_related(*_authorships("authorships"))
        .filter(arxiv_id=arxiv_id)
        .first()
    )


SIMILAR_TERMS = 8
SIMILAR_CANDIDATES = 300
SIMILAR_CACHE_SECONDS = 6 * 3600

# Nearest papers by text, with Postgres full-text search (no pg_trgm on the embedded server):
# take the paper's most significant lexemes - rare in the corpus first (document frequencies
# come free from ANALYZE's most-common-elements statistics of the column; a lexeme missing
# there is rarer than all of them), then in the title, then repeated - find the papers that
# share at least two of them (or, failing enough of those, one) through the GIN index, and
# rank at most SIMILAR_CANDIDATES of them with ts_rank on the weighted search_vector. The
# bound keeps the worst case (very common words) to a few milliseconds at 100k papers.
_SIMILAR_SQL = """
WITH common AS (
    SELECT u.lexeme, u.freq
    FROM pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = 'papers_paper'
        AND s.attname = 'search_vector'
), terms AS (
    SELECT quote_literal(t.lexeme) AS term
    FROM papers_paper p
    CROSS JOIN unnest(p.search_vector) AS t
    LEFT JOIN common c ON c.lexeme = t.lexeme
    WHERE p.id = %(id)s AND length(t.lexeme) > 2
    ORDER BY coalesce(c.freq, 0), ('A' = ANY(t.weights)) DESC, cardinality(t.positions) DESC,
        t.lexeme
    LIMIT %(terms)s
), query AS (
    SELECT
        (SELECT string_agg(term, ' | ')::tsquery FROM terms) AS any_term,
        (SELECT string_agg('(' || a.term || ' & ' || b.term || ')', ' | ')::tsquery
         FROM terms a JOIN terms b ON a.term < b.term) AS two_terms
), candidates AS (
    SELECT p.id, p.search_vector
    FROM papers_paper p, query
    WHERE p.search_vector @@ query.{match} AND p.id <> ALL(%(exclude)s)
    LIMIT %(candidates)s
)
SELECT c.id
FROM candidates c, query
ORDER BY ts_rank(c.search_vector, query.any_term) DESC, c.id DESC
LIMIT %(limit)s
"""


def _similar_ids(*, paper_id: int, limit: int) -> list[int]:
    ids: list[int] = []
    with connection.cursor() as cursor:
        for match in ("two_terms", "any_term"):
            params = {
                "id": paper_id,
                "terms": SIMILAR_TERMS,
                "candidates": SIMILAR_CANDIDATES,
                "exclude": [paper_id, *ids],
                "limit": limit - len(ids),
            }
            cursor.execute(_SIMILAR_SQL.format(match=match), params)
            ids += [row[0] for row in cursor.fetchall()]
            if len(ids) >= limit:
                break
    return ids


def similar_papers(*, paper: Paper, limit: int = 5) -> list[Paper]:
    """The ``limit`` papers nearest to ``paper`` by text, best first.

    The ids are cached for a few hours under the paper's ``modified_at`` (a new version
    changes it); a page view then costs one primary-key query.
    """
    key = f"papers:similar:{paper.pk}:{paper.modified_at.timestamp()}:{limit}"
    ids = cache.get(key)
    if ids is None:
        ids = _similar_ids(paper_id=paper.pk, limit=limit)
        cache.set(key, ids, SIMILAR_CACHE_SECONDS)
    if not ids:
        return []
    papers = Paper.objects.select_related("daily_entry").defer("search_vector").in_bulk(ids)
    return [papers[i] for i in ids if i in papers]


def approved_claims_for_papers(*, papers: Iterable[Paper]) -> dict[int, AuthorClaim]:
    """Approved claims on these papers' author slots, keyed by authorship id, in one query."""
    return {
        claim.authorship_id: claim
        for claim in AuthorClaim.objects.filter(
            authorship__paper__in=[paper.pk for paper in papers],
            status=AuthorClaim.Status.APPROVED,
        ).select_related("user")
    }


def claimed_author_slots(*, paper_ids: Iterable[int]) -> dict[tuple[int, int], User]:
    """Users with an approved claim on these papers' author slots, keyed by (paper id, position).

    One query for a whole listing (the API numbers authors by position, not by slot id).
    """
    claims = AuthorClaim.objects.filter(
        authorship__paper_id__in=list(paper_ids), status=AuthorClaim.Status.APPROVED
    ).select_related("user", "authorship")
    return {(c.authorship.paper_id, c.authorship.position): c.user for c in claims}


def claims_by_user_on_paper(*, user: User, paper: Paper) -> QuerySet[AuthorClaim]:
    return AuthorClaim.objects.filter(user=user, authorship__paper=paper)


def pending_author_claims() -> QuerySet[AuthorClaim]:
    """The moderators' queue, oldest first."""
    return (
        AuthorClaim.objects.filter(status=AuthorClaim.Status.PENDING)
        .select_related("user", "authorship__author", "authorship__paper")
        .order_by("created_at")
    )


def paper_alias_target(*, arxiv_id: str) -> str | None:
    """The arXiv id of the paper a merged duplicate's id now points to, or None."""
    return (
        PaperAlias.objects.filter(arxiv_id=arxiv_id)
        .values_list("paper__arxiv_id", flat=True)
        .first()
    )
