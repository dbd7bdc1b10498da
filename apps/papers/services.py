"""Writes for papers: the idempotent upsert that demo data and ingestion share, daily
entries, and author claims."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from apps.core.ratelimit import Rate, ratelimit_hit
from apps.core.shared_cache import copied_into
from apps.papers.arxiv_ids import split_version
from apps.papers.models import (
    AuthorClaim,
    Authorship,
    DailyEntry,
    Paper,
    PaperAlias,
    PaperVersion,
)
from apps.users.models import User
from apps.users.roles import (
    user_can_post,
    user_has_verified_email,
    user_in_good_standing,
    user_is_moderator,
)


@dataclass(frozen=True)
class PaperRecord:
    """A paper as a source (the arXiv API, a listing feed, a demo file) describes it.

    ``arxiv_id`` may carry a version (``2410.09692v2``); otherwise ``version`` says which one
    the record describes. ``affiliations`` runs parallel to ``authors`` ("" where unknown).
    ``version_dates`` maps version numbers to when they were submitted, as far as the source
    knows. A record with ``complete=False`` (a listing feed's entry) updates only the fields
    it carries: its empty comment, DOI, journal reference and links erase nothing.
    """

    arxiv_id: str
    title: str
    abstract: str
    published_on: dt.date
    authors: Sequence[str] = ()
    affiliations: Sequence[str] = ()
    updated_on: dt.date | None = None
    version: int = 1
    version_dates: Mapping[int, dt.datetime] = field(default_factory=dict)
    primary_category: str = ""
    categories: Sequence[str] = ()
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    github_repo: str = ""
    project_page: str = ""
    complete: bool = True


def _clean_spaces(text: str) -> str:
    return " ".join(text.split())


@dataclass
class UpsertResult:
    """What ``papers_upsert`` did; ``paper_ids`` maps every record's versionless id to its row."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    paper_ids: dict[str, int] = field(default_factory=dict)


# Fields a listing entry (complete=False) never erases: it does not carry them.
_COMPLETE_ONLY_FIELDS = ("comment", "journal_ref", "doi", "github_repo", "project_page")
# Serialises upserts, so two ingests of one new paper cannot both insert it.
_UPSERT_LOCK = 7_246_117_001
_LIMITS = {"title": 500, "journal_ref": 500, "doi": 200, "github_repo": 200, "project_page": 200}


def _record_fields(record: PaperRecord, version: int) -> dict:
    fields = {
        "title": _clean_spaces(record.title),
        "abstract": _clean_spaces(record.abstract),
        "published_on": record.published_on,
        "updated_on": record.updated_on,
        "latest_version": version,
        "primary_category": record.primary_category
        or (record.categories[0] if record.categories else ""),
        "categories": list(dict.fromkeys(record.categories)),
        "comment": _clean_spaces(record.comment),
        "journal_ref": _clean_spaces(record.journal_ref),
        "doi": record.doi.strip(),
        "github_repo": record.github_repo,
        "project_page": record.project_page,
    }
    for name, limit in _LIMITS.items():
        if len(fields[name]) > limit:
            raise ValidationError(
                f"{record.arxiv_id}: the {name.replace('_', ' ')} is longer than {limit} "
                "characters."
            )
    if not fields["title"] or not fields["abstract"]:
        raise ValidationError(f"{record.arxiv_id}: a paper needs a title and an abstract.")
    if any(len(c) > 32 or c.split() != [c] for c in fields["categories"]):
        raise ValidationError(f"{record.arxiv_id}: a category is empty, too long or has spaces.")
    if fields["updated_on"] and fields["updated_on"] < fields["published_on"]:
        fields["updated_on"] = None
    return fields


def _author_list(record: PaperRecord) -> list[tuple[str, str]]:
    """(name, affiliation) in order; a name listed twice keeps its first place."""
    authors: dict[str, str] = {}
    for index, raw in enumerate(record.authors):
        name = _clean_spaces(raw)
        if not name:
            continue
        if len(name) > 255:
            raise ValidationError(f"{record.arxiv_id}: an author name is over 255 characters.")
        affiliation = record.affiliations[index] if index < len(record.affiliations) else ""
        authors.setdefault(name, _clean_spaces(affiliation)[:500])
    return list(authors.items())


@transaction.atomic
def papers_upsert(records: Iterable[PaperRecord]) -> UpsertResult:
    """Create or update papers in bulk, keyed by the versionless arXiv id; one transaction.

    A record updates a stored paper only from a version at least as new, and only the
    fields that differ, so replaying a feed changes nothing. Votes, comments, daily entries
    and author claims stay: authorships are renumbered in place, not recreated. The id of a
    duplicate merged into another paper is skipped (not recreated) and maps to that paper in
    ``paper_ids``. A constant number of queries per call, whatever the number of papers and
    authors.
    """
    latest: dict[str, tuple[PaperRecord, int]] = {}
    for record in records:
        arxiv_id, id_version = split_version(record.arxiv_id)
        version = id_version or record.version
        if arxiv_id not in latest or version >= latest[arxiv_id][1]:
            latest[arxiv_id] = (record, version)
    result = UpsertResult()
    if not latest:
        return result
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_UPSERT_LOCK])

    stored = Paper.objects.defer("search_vector").in_bulk(list(latest), field_name="arxiv_id")
    # Ids of duplicates merged into another paper: not brought back, mapped to that paper.
    aliases = _alias_targets([arxiv_id for arxiv_id in latest if arxiv_id not in stored])
    to_create: list[tuple[str, dict, list[tuple[str, str]]]] = []
    to_update: list[Paper] = []
    changed_fields: set[str] = set()
    # Papers whose authors and versions the records describe (not skipped, not partial).
    described: dict[str, tuple[PaperRecord, int]] = {}
    author_lists: dict[str, list[tuple[str, str]]] = {}
    for arxiv_id, (record, version) in latest.items():
        paper = stored.get(arxiv_id)
        if paper is None and arxiv_id in aliases:
            result.skipped += 1
            continue
        fields = _record_fields(record, version)
        if paper is None:
            author_lists[arxiv_id] = _author_list(record)
            to_create.append((arxiv_id, fields, author_lists[arxiv_id]))
            described[arxiv_id] = (record, version)
            continue
        if version < paper.latest_version:
            result.skipped += 1
            continue
        same_version = version == paper.latest_version
        if not record.complete:
            # A listing knows neither the first version's date nor the metadata below,
            # and at the version already stored it only fills what is missing.
            for name in ("published_on", "updated_on", *_COMPLETE_ONLY_FIELDS):
                fields.pop(name)
            fields = {
                n: v for n, v in fields.items() if v and not (same_version and getattr(paper, n))
            }
        changes = {n: v for n, v in fields.items() if getattr(paper, n) != v}
        if changes:
            for name, value in changes.items():
                setattr(paper, name, value)
            changed_fields.update(changes)
            to_update.append(paper)
        if record.complete or not same_version:
            described[arxiv_id] = (record, version)
            author_lists[arxiv_id] = _author_list(record)

    paper_ids = {arxiv_id: paper.pk for arxiv_id, paper in stored.items()} | aliases
    created_ids = _papers_insert(to_create)
    paper_ids.update(created_ids)
    if to_update:
        now = timezone.now()
        for paper in to_update:
            paper.modified_at = now
        Paper.objects.bulk_update(
            to_update, [*sorted(changed_fields), "modified_at"], batch_size=500
        )
    created = set(created_ids.values())
    authors_changed = _authorships_sync(
        {paper_ids[arxiv_id]: authors for arxiv_id, authors in author_lists.items()},
        new_papers=created,
    )
    _versions_record(
        [(paper_ids[i], version, record) for i, (record, version) in described.items()],
        new_papers=created,
    )

    fields_changed = {p.pk for p in to_update}
    only_authors_changed = authors_changed - created - fields_changed
    if only_authors_changed:
        Paper.objects.filter(pk__in=only_authors_changed).update(modified_at=timezone.now())
    result.created = sorted(created)
    result.updated = sorted(fields_changed | only_authors_changed)
    result.unchanged = len(latest) - result.skipped - len(created) - len(result.updated)
    result.paper_ids = {arxiv_id: paper_ids[arxiv_id] for arxiv_id in latest}
    if result.updated:
        paper_search_vector_refresh(paper_ids=result.updated)
    return result


def _alias_targets(arxiv_ids: list[str]) -> dict[str, int]:
    """The paper each of these ids (of merged duplicates) now points to; one query, if any."""
    if not arxiv_ids:
        return {}
    return dict(
        PaperAlias.objects.filter(arxiv_id__in=arxiv_ids).values_list("arxiv_id", "paper_id")
    )


_url_validator = URLValidator(schemes=["http", "https"])


def _search_document(title: str, authors: str, abstract: str) -> str:
    """The SQL of a paper's search document: title (A), authors (B), abstract (C).

    One definition for new papers (computed as they are inserted) and for refreshes.
    """
    return (
        f"setweight(to_tsvector('english', {title}), 'A')"
        f" || setweight(to_tsvector('english', {authors}), 'B')"
        f" || setweight(to_tsvector('english', {abstract}), 'C')"
    )


# New papers are copied into a temporary table, then inserted from it with their search
# document computed on the way in (_search_document, as for refreshes), so no second
# write of every new row follows and the ids come back in the same statement.
_NEW_PAPERS_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS papers_upsert_new (
    arxiv_id text, title text, abstract text, published_on date, updated_on date,
    latest_version int, primary_category text, categories text, comment text,
    journal_ref text, doi text, github_repo text, project_page text, authors text
) ON COMMIT DROP
"""
_NEW_PAPERS_COLUMNS = (
    "arxiv_id",
    "title",
    "abstract",
    "published_on",
    "updated_on",
    "latest_version",
    "primary_category",
    "categories",
    "comment",
    "journal_ref",
    "doi",
    "github_repo",
    "project_page",
    "authors",
)
_PAPERS_INSERT = f"""
INSERT INTO papers_paper (
    arxiv_id, title, abstract, published_on, updated_on, latest_version, primary_category,
    categories, comment, journal_ref, doi, github_repo, project_page, thumbnail,
    upvotes_count, comments_count, trending_score, created_at, modified_at, search_vector
)
SELECT n.arxiv_id, n.title, n.abstract, n.published_on, n.updated_on, n.latest_version,
    n.primary_category, string_to_array(n.categories, ' '), n.comment, n.journal_ref, n.doi,
    n.github_repo, n.project_page, '', 0, 0, 0.0, %(now)s, %(now)s,
    {_search_document("n.title", "n.authors", "n.abstract")}
FROM papers_upsert_new AS n
RETURNING arxiv_id, id
"""  # noqa: S608 (fixed expressions of this module, no input)


def _papers_insert(papers: list[tuple[str, dict, list[tuple[str, str]]]]) -> dict[str, int]:
    """Insert new papers; returns their ids by arXiv id."""
    if not papers:
        return {}
    for arxiv_id, fields, _ in papers:
        for name in ("github_repo", "project_page"):
            if fields[name]:
                try:
                    _url_validator(fields[name])
                except ValidationError as error:
                    raise ValidationError(f"{arxiv_id}: the {name} is not a URL.") from error
    rows = (
        (
            arxiv_id,
            *(fields[name] for name in _NEW_PAPERS_COLUMNS[1:7]),
            " ".join(fields["categories"]),
            *(fields[name] for name in _NEW_PAPERS_COLUMNS[8:13]),
            " ".join(name for name, _ in authors),
        )
        for arxiv_id, fields, authors in papers
    )
    with connection.cursor() as cursor:
        cursor.execute(_NEW_PAPERS_TABLE)
        cursor.execute("TRUNCATE papers_upsert_new")
        _copy(cursor, "papers_upsert_new", _NEW_PAPERS_COLUMNS, rows)
        cursor.execute(_PAPERS_INSERT, {"now": timezone.now()})
        return dict(cursor.fetchall())


def _copy(cursor: CursorWrapper, table: str, columns: Sequence[str], rows: Iterable) -> None:
    """Write rows with COPY: at thousands of rows a fraction of an INSERT's cost."""
    # Table and column names come from this module, never from input.
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    copied_into(cursor.db, table)


def _authorships_sync(
    wanted: dict[int, list[tuple[str, str]]], *, new_papers: set[int]
) -> set[int]:
    """Make each paper's authorships match ``wanted``; returns the ids of papers that changed.

    Rows of authors still on the paper are kept (with their claims) and renumbered; the
    unique position constraint is deferred to the end of the transaction for that.
    ``new_papers`` were just inserted and have no authorships to read.
    """
    current: dict[int, list[tuple[int, str, str, int]]] = {paper_id: [] for paper_id in wanted}
    for pk, paper_id, name, affiliation, position in (
        Authorship.objects.filter(paper_id__in=[i for i in wanted if i not in new_papers])
        .order_by("paper_id", "position")
        .values_list("pk", "paper_id", "author__name", "affiliation", "position")
    ):
        current[paper_id].append((pk, name, affiliation, position))
    changed = {
        paper_id
        for paper_id, authors in wanted.items()
        if [(name, affiliation) for _, name, affiliation, _ in current[paper_id]] != authors
    }
    if not changed:
        return changed
    author_ids = _author_ids(sorted({name for i in changed for name, _ in wanted[i]}))

    to_delete: list[int] = []
    to_update: list[tuple[int, int, str]] = []
    to_create: list[tuple[int, int, int, str]] = []
    for paper_id in changed:
        kept = {
            name: (pk, affiliation, position)
            for pk, name, affiliation, position in current[paper_id]
        }
        for position, (name, affiliation) in enumerate(wanted[paper_id]):
            stored = kept.pop(name, None)
            if stored is None:
                to_create.append((paper_id, author_ids[name], position, affiliation))
            elif stored[1:] != (affiliation, position):
                to_update.append((stored[0], position, affiliation))
        to_delete.extend(pk for pk, _, _ in kept.values())
    Authorship.objects.filter(pk__in=to_delete).delete()
    if to_update:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE papers_authorship AS a"
                " SET position = u.position, affiliation = u.affiliation"
                " FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS u(id, position, affiliation)"
                " WHERE a.id = u.id",
                [list(column) for column in zip(*to_update, strict=True)],
            )
    with connection.cursor() as cursor:
        columns = ("paper_id", "author_id", "position", "affiliation")
        _copy(cursor, "papers_authorship", columns, to_create)
    return changed


def _author_ids(names: list[str]) -> dict[str, int]:
    """The ids of these author names, creating the missing ones: at most three queries.

    Array parameters, not one placeholder per name as ``name__in`` would send.
    """
    select = "SELECT name, id FROM papers_author WHERE name = ANY(%s::text[])"
    with connection.cursor() as cursor:
        cursor.execute(select, [names])
        author_ids = dict(cursor.fetchall())
        missing = [name for name in names if name not in author_ids]
        if missing:
            cursor.execute(
                "INSERT INTO papers_author (name) SELECT * FROM unnest(%s::text[])"
                " ON CONFLICT (name) DO NOTHING RETURNING name, id",
                [missing],
            )
            author_ids.update(cursor.fetchall())
        raced = [name for name in missing if name not in author_ids]  # added meanwhile
        if raced:
            cursor.execute(select, [raced])
            author_ids.update(cursor.fetchall())
    return author_ids


def _versions_record(papers: list[tuple[int, int, PaperRecord]], *, new_papers: set[int]) -> None:
    """Record versions 1..latest of each paper, dating those the record knows the date of."""
    stored = {
        (paper_id, number): (pk, submitted_at)
        for pk, paper_id, number, submitted_at in PaperVersion.objects.filter(
            paper_id__in=[paper_id for paper_id, _, _ in papers if paper_id not in new_papers]
        ).values_list("pk", "paper_id", "number", "submitted_at")
    }
    to_create, to_update = [], []
    for paper_id, latest, record in papers:
        for number in range(1, latest + 1):
            date = record.version_dates.get(number)
            version = stored.get((paper_id, number))
            if version is None:
                to_create.append((paper_id, number, date))
            elif date is not None and version[1] != date:
                to_update.append((version[0], date))
    with connection.cursor() as cursor:
        _copy(cursor, "papers_paperversion", ("paper_id", "number", "submitted_at"), to_create)
    if to_update:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE papers_paperversion AS v SET submitted_at = u.submitted_at"
                " FROM unnest(%s::bigint[], %s::timestamptz[]) AS u(id, submitted_at)"
                " WHERE v.id = u.id",
                [list(column) for column in zip(*to_update, strict=True)],
            )


def paper_upsert(*, record: PaperRecord) -> tuple[Paper, bool]:
    """One paper through ``papers_upsert``; returns (paper, created)."""
    result = papers_upsert([record])
    (paper_id,) = result.paper_ids.values()
    return Paper.objects.get(pk=paper_id), paper_id in result.created


_SEARCH_VECTOR_UPDATE = f"""
UPDATE papers_paper AS paper SET search_vector =
    {_search_document("paper.title", "coalesce(authors.names, '')", "paper.abstract")}
FROM (SELECT id FROM papers_paper {{papers}}) AS target
LEFT JOIN (
    SELECT s.paper_id, string_agg(a.name, ' ' ORDER BY s.position) AS names
    FROM papers_authorship s JOIN papers_author a ON a.id = s.author_id
    {{authorships}}
    GROUP BY s.paper_id
) AS authors ON authors.paper_id = target.id
WHERE paper.id = target.id
"""  # noqa: S608 (fixed expressions of this module; filters filled in below, no input)


def paper_search_vector_refresh(*, paper_ids: list[int] | None = None) -> int:
    """Rebuild ``Paper.search_vector`` (title A, authors B, abstract C) in one UPDATE.

    ``paper_ids=None`` rebuilds every paper (after a bulk load); returns the rows updated.
    Search and "similar papers" both read this column through its GIN index. The author
    names are aggregated once and joined, not looked up per paper: after a bulk load, before
    ANALYZE, a per-row subquery made PostgreSQL take minutes instead of seconds.
    """
    papers, authorships = (
        ("", "")
        if paper_ids is None
        else (
            "WHERE id = ANY(%(ids)s)",
            "WHERE s.paper_id = ANY(%(ids)s)",
        )
    )
    sql = _SEARCH_VECTOR_UPDATE.format(papers=papers, authorships=authorships)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(paper_ids or [])})
        return cursor.rowcount


@transaction.atomic
def daily_entry_place(
    *,
    paper: Paper,
    day: dt.date,
    submitted_by: User | None = None,
    submitted_at: dt.datetime | None = None,
) -> DailyEntry:
    """Put a paper on a day's page; a paper has one entry, so placing it again moves it."""
    entry, _ = DailyEntry.objects.update_or_create(
        paper=paper,
        defaults={
            "day": day,
            "submitted_by": submitted_by,
            "submitted_at": submitted_at or timezone.now(),
        },
    )
    return entry


def daily_entry_remove(*, paper: Paper) -> DailyEntry | None:
    """Take a paper off its day's page; returns the removed entry (None if it had none).

    Moderation's ``paper_remove_from_day`` checks the permission and logs it.
    """
    entry = DailyEntry.objects.select_for_update().filter(paper=paper).first()
    if entry is not None:
        entry.delete()
        Paper.objects.filter(pk=paper.pk).update(removed_from_day=True)
        paper.removed_from_day = True
    return entry


# What a moderator may correct on a paper; the rest comes from arXiv.
EDITABLE_FIELDS = (
    "title",
    "abstract",
    "comment",
    "journal_ref",
    "doi",
    "github_repo",
    "project_page",
)


@transaction.atomic
def paper_metadata_update(*, paper: Paper, **fields: str) -> list[str]:
    """Correct a paper's metadata; returns the names of the fields that changed.

    Validated like the model (a ValidationError names the field); the search document is
    refreshed when the title or abstract changes. Moderation's ``paper_edit`` checks the
    permission and logs it.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable paper fields: {sorted(unknown)}")
    changed = [name for name, value in fields.items() if getattr(paper, name) != value.strip()]
    if not changed:
        return []
    for name in changed:
        setattr(paper, name, fields[name].strip())
    paper.full_clean(exclude=[f.name for f in Paper._meta.fields if f.name not in changed])
    paper.save(update_fields=[*changed, "modified_at"])
    if {"title", "abstract"} & set(changed):
        paper_search_vector_refresh(paper_ids=[paper.pk])
    return changed


# --- Author claims ----------------------------------------------------------------------


def _slot_for_update(authorship: Authorship) -> Authorship:
    # Serialises concurrent claims and decisions on one author slot.
    return Authorship.objects.select_for_update().get(pk=authorship.pk)


MAX_EVIDENCE_LENGTH = AuthorClaim._meta.get_field("evidence").max_length
# Each claim lands in the moderators' queue: a person files a handful, a script many.
CLAIM_RATE = Rate(limit=10, window=3600, message="You filed many claims this hour. Wait a while.")


def _evidence_clean(evidence: str, *, required: bool) -> str:
    evidence = (evidence or "").strip()
    if required and not evidence:
        raise ValidationError(
            "Say what a moderator can check this time: a page listing you as an author, "
            "your ORCID record, the address on the paper.",
            code="no_evidence",
        )
    if len(evidence) > MAX_EVIDENCE_LENGTH:
        raise ValidationError(
            f"Keep the evidence under {MAX_EVIDENCE_LENGTH:,} characters.", code="too_long"
        )
    return evidence


@transaction.atomic
def author_claim_create(*, user: User, authorship: Authorship, evidence: str = "") -> AuthorClaim:
    """File a pending claim; refused when the slot or the paper is already claimed."""
    evidence = _evidence_clean(evidence, required=False)
    if not user_in_good_standing(user):
        raise PermissionDenied("Log in with an account in good standing to claim authorship.")
    if not user_has_verified_email(user):
        raise PermissionDenied("Verify your email address before claiming authorship.")
    ratelimit_hit(scope="author-claim", key=str(user.pk), rate=CLAIM_RATE)
    authorship = _slot_for_update(authorship)
    claims = AuthorClaim.objects.filter(
        authorship__paper_id=authorship.paper_id, status__in=["pending", "approved"]
    )
    if AuthorClaim.objects.filter(user=user, authorship=authorship).exists():
        raise ValidationError("You have already claimed this author.", code="duplicate")
    if claims.filter(authorship=authorship, status=AuthorClaim.Status.APPROVED).exists():
        raise ValidationError("Someone else is already this author.", code="taken")
    if claims.filter(user=user).exists():
        raise ValidationError(
            "You already have a claim on another author of this paper.", code="other_slot"
        )
    try:
        with transaction.atomic():
            return AuthorClaim.objects.create(user=user, authorship=authorship, evidence=evidence)
    except IntegrityError as exc:
        raise ValidationError("You have already claimed this author.", code="duplicate") from exc


@transaction.atomic
def author_claim_ask_again(*, user: User, claim: AuthorClaim, evidence: str) -> AuthorClaim:
    """A rejected claimant asks once more, with new evidence: the claim is pending again."""
    if not user_can_post(user) or claim.user_id != user.pk:
        raise PermissionDenied("Only the claimant can ask again, from an account in good standing.")
    evidence = _evidence_clean(evidence, required=True)
    _slot_for_update(claim.authorship)
    claim = AuthorClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != AuthorClaim.Status.REJECTED:
        raise ValidationError(f"This claim is {claim.status}, not rejected.", code="not_rejected")
    if claim.asked_again:
        raise ValidationError(
            "You already asked again once and the claim was rejected; it stays rejected.",
            code="asked_again",
        )
    if AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.APPROVED
    ).exists():
        raise ValidationError("Someone else is already this author.", code="taken")
    claim.status, claim.evidence, claim.asked_again = AuthorClaim.Status.PENDING, evidence, True
    claim.decided_at = claim.decided_by = None
    claim.save(update_fields=["status", "evidence", "asked_again", "decided_at", "decided_by"])
    return claim


# Deciding a claim: apps.moderation.services adds the finer permission, the self-moderation
# check, the log and the claimant's notice, and calls these inside its transaction.
OTHER_CLAIM_APPROVED = "Another claim on this author was approved."


def _require_moderator(user: User) -> None:
    if not user_is_moderator(user):
        raise PermissionDenied("Only moderators decide author claims.")


def _decide(*, claim: AuthorClaim, moderator: User, status: str, reason: str = "") -> AuthorClaim:
    _slot_for_update(claim.authorship)
    claim = AuthorClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != AuthorClaim.Status.PENDING:
        raise ValidationError(f"This claim was already {claim.status}.", code="decided")
    now = timezone.now()
    claim.status, claim.decided_by, claim.decided_at = status, moderator, now
    claim.reason = reason
    claim.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return claim


@transaction.atomic
def author_claim_approve(*, claim: AuthorClaim, moderator: User) -> AuthorClaim:
    """Approve; other pending claims on the same slot are rejected, as only one can be true.

    Returns the approved claim; ``claim.others_rejected`` lists the claims it rejected.
    """
    _require_moderator(moderator)
    _slot_for_update(claim.authorship)
    if AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.APPROVED
    ).exists():
        raise ValidationError("Another claim on this author is already approved.", code="taken")
    claim = _decide(claim=claim, moderator=moderator, status=AuthorClaim.Status.APPROVED)
    others = AuthorClaim.objects.filter(
        authorship_id=claim.authorship_id, status=AuthorClaim.Status.PENDING
    )
    claim.others_rejected = list(others.select_related("user"))
    others.update(
        status=AuthorClaim.Status.REJECTED,
        decided_by=moderator,
        decided_at=claim.decided_at,
        reason=OTHER_CLAIM_APPROVED,
    )
    return claim


@transaction.atomic
def author_claim_reject(*, claim: AuthorClaim, moderator: User, reason: str) -> AuthorClaim:
    _require_moderator(moderator)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the claim is rejected: the claimant sees it.")
    return _decide(
        claim=claim, moderator=moderator, status=AuthorClaim.Status.REJECTED, reason=reason
    )


# --- Merging duplicate papers -----------------------------------------------------------
# apps.moderation.merge moves everything of value from a duplicate to the paper it
# duplicates, each app with its own function, in one transaction that starts with
# ``papers_lock_for_merge`` and ends with ``paper_replace_with_alias``.


def papers_lock_for_merge(*, duplicate: Paper, into: Paper) -> tuple[Paper, Paper]:
    """Lock out ingestion (the upsert's lock, taken first as the upsert does) and then both
    paper rows, in id order (as votes_remove_all locks papers); returns both rows as stored.

    Call inside the merge's transaction. ValidationError if either paper is gone.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_UPSERT_LOCK])
    rows = {
        paper.pk: paper
        for paper in Paper.objects.select_for_update()
        .defer("search_vector")
        .filter(pk__in=[duplicate.pk, into.pk])
        .order_by("pk")
    }
    if duplicate.pk not in rows or into.pk not in rows:
        raise ValidationError("One of the papers no longer exists; reload.", code="gone")
    return rows[duplicate.pk], rows[into.pk]


def daily_entry_merge(*, source: Paper, target: Paper) -> DailyEntry | None:
    """Give ``target`` one daily entry out of both papers'; returns the dropped one, if any.

    Of two entries the earlier one stays (the day the community first saw the paper, with
    its submitter), moved to ``target`` if it was the duplicate's.
    """
    entries = {
        entry.paper_id: entry
        for entry in DailyEntry.objects.select_for_update()
        .filter(paper_id__in=[source.pk, target.pk])
        .order_by("pk")
    }
    moving, staying = entries.get(source.pk), entries.get(target.pk)
    if moving is None:
        return None
    if staying is not None and (staying.day, staying.submitted_at) <= (
        moving.day,
        moving.submitted_at,
    ):
        moving.delete()
        return moving
    if staying is not None:
        staying.delete()
    DailyEntry.objects.filter(pk=moving.pk).update(paper=target)
    moving.paper = target
    return staying


def author_claims_move(*, source: Paper, target: Paper) -> list[AuthorClaim]:
    """Move the claims on ``source``'s authors to the same authors on ``target``; returns the
    claims that could not move and were deleted.

    A claim moves when ``target`` lists its author (the same Author row). An approved claim
    wins over another claim of its user on the target slot; it is dropped only if the target
    slot already has an approved claim. Any other claim is dropped when its user already
    claimed the target slot. A constant number of queries, whatever the number of claims.
    """
    target_slots: dict[int, int] = {}
    for pk, paper_id, author_id in (
        Authorship.objects.select_for_update()  # as claim decisions lock their slot
        .filter(paper_id__in=[source.pk, target.pk])
        .order_by("pk")
        .values_list("pk", "paper_id", "author_id")
    ):
        if paper_id == target.pk:
            target_slots[author_id] = pk
    held = {
        (user_id, slot): (pk, status)
        for pk, user_id, slot, status in AuthorClaim.objects.filter(
            authorship__paper=target
        ).values_list("pk", "user_id", "authorship_id", "status")
    }
    approved_slots = {slot for (_, slot), (_, status) in held.items() if status == "approved"}
    claims = AuthorClaim.objects.filter(authorship__paper=source).select_related(
        "user", "authorship__author"
    )
    moved: list[AuthorClaim] = []
    dropped: list[AuthorClaim] = []
    replaced: list[int] = []
    approved_first = sorted(claims, key=lambda c: c.status != AuthorClaim.Status.APPROVED)
    for claim in approved_first:
        slot = target_slots.get(claim.authorship.author_id)
        mine = held.get((claim.user_id, slot))
        approved = claim.status == AuthorClaim.Status.APPROVED
        if slot is None or (slot in approved_slots if approved else mine is not None):
            dropped.append(claim)
            continue
        if mine is not None:  # the user's other claim on the slot gives way to the approved one
            replaced.append(mine[0])
        if approved:
            approved_slots.add(slot)
        claim.authorship_id = slot
        held[(claim.user_id, slot)] = (claim.pk, claim.status)
        moved.append(claim)
    AuthorClaim.objects.filter(pk__in=[*replaced, *(claim.pk for claim in dropped)]).delete()
    if moved:
        AuthorClaim.objects.bulk_update(moved, ["authorship"])
    return dropped


def paper_replace_with_alias(*, duplicate: Paper, into: Paper) -> PaperAlias:
    """The last step of a merge: ``duplicate``'s id (and ids merged into it before) now
    point to ``into``, and its row goes, with what is left of it (its versions, authorships
    and remaining claims); call once everything of value has moved."""
    PaperAlias.objects.filter(paper=duplicate).update(paper=into)
    alias = PaperAlias.objects.create(arxiv_id=duplicate.arxiv_id, paper=into)
    Paper.objects.filter(pk=duplicate.pk).delete()
    return alias
