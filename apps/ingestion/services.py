"""Writes of ingestion: parsed arXiv entries into papers and announcements, whole or not at all.

Every ingest (beat, command, submission) runs under one PostgreSQL advisory lock, so two
beats, workers or commands never ingest at once, and records itself as an ``IngestRun``.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import batched

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.ingestion.client import ArxivClient, ArxivError
from apps.ingestion.models import Announcement, GithubRepoCheck, IngestCursor, IngestRun
from apps.ingestion.parsers import FeedError, ParsedEntry, open_feed
from apps.papers.arxiv_ids import split_version
from apps.papers.models import Paper
from apps.papers.services import papers_upsert

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# The key of the session-level advisory lock held by the one ingest running.
_INGEST_LOCK = 7_246_117_002
# Listing entries announce a paper under one of these kinds; the first found wins on a day.
_KIND_RANK = {kind: rank for rank, kind in enumerate(Announcement.Kind.values)}


def _outranks(kind: str, other: str | None) -> bool:
    """Whether a paper announced as ``kind`` is better described so than as ``other``
    (new before cross-list before replacement), when the same day lists it twice."""
    return other is None or _KIND_RANK[kind] < _KIND_RANK[other]


class IngestError(Exception):
    """An ingest failed as a whole, with a message for the log, the task result and the CLI."""


class IngestBusy(IngestError):
    """Another ingest holds the lock."""


@dataclass
class IngestSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    announced: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.announced} announcements"
        )


@contextmanager
def ingest_lock() -> Iterator[None]:
    """Hold the ingest lock for the block, or raise IngestBusy at once.

    A session-level lock on this process's connection: it is released by the database if
    the process dies, unlike a lock with an expiry in Redis.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_INGEST_LOCK])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise IngestBusy("Another ingest is running; this one did nothing.")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_INGEST_LOCK])


def entries_ingest(
    entries: Iterable[ParsedEntry],
    *,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> IngestSummary:
    """Upsert the entries (and their announcements) in batches, in one transaction.

    Entries are consumed as they come, so a file of any size is read in bounded memory; a
    bad entry anywhere rolls back everything written before it. ``dry_run`` rolls back at
    the end and reports what would have happened.
    """
    summary = IngestSummary()
    with transaction.atomic():
        for batch in _read_ahead(batched(entries, BATCH_SIZE)):
            result = papers_upsert(entry.record for entry in batch)
            summary.created += len(result.created)
            summary.updated += len(result.updated)
            summary.unchanged += result.unchanged
            summary.skipped += result.skipped
            summary.announced += _announcements_record(batch, result.paper_ids)
            if progress:
                progress(len(batch))
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _read_ahead(batches: Iterator[tuple], depth: int = 2) -> Iterator[tuple]:
    """The same batches, parsed up to ``depth`` ahead in a thread while this one writes.

    Parsing (lxml, no database) and writing (mostly waiting on PostgreSQL) then overlap;
    memory stays bounded by the queue. An error while parsing is raised here, in order.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def parse() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        ready.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(end)
        except Exception as error:  # handed to the consumer, which raises it
            ready.put(error)

    parser = threading.Thread(target=parse, name="ingest-parser", daemon=True)
    parser.start()
    try:
        while (item := ready.get()) is not end:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        parser.join()


def _announcements_record(batch: Iterable[ParsedEntry], paper_ids: dict[str, int]) -> int:
    """Record each listing entry's announcement once; returns how many were new."""
    rows: dict[tuple[int, dt.date], Announcement] = {}
    for entry in batch:
        if entry.announce_type is None or entry.announced_on is None:
            continue
        paper_id = paper_ids[split_version(entry.record.arxiv_id)[0]]
        key = (paper_id, entry.announced_on)
        if _outranks(entry.announce_type, rows[key].kind if key in rows else None):
            rows[key] = Announcement(
                paper_id=paper_id,
                day=entry.announced_on,
                kind=entry.announce_type,
                version=entry.record.version,
            )
    if not rows:
        return 0
    stored = set(
        Announcement.objects.filter(
            paper_id__in={paper_id for paper_id, _ in rows}, day__in={day for _, day in rows}
        ).values_list("paper_id", "day")
    )
    new = [row for key, row in rows.items() if key not in stored]
    Announcement.objects.bulk_create(new)
    return len(new)


@contextmanager
def _recorded_run(source: str, *, dry_run: bool = False) -> Iterator[IngestSummary]:
    """Record the run's outcome; turn every expected failure into one clear IngestError."""
    run = None if dry_run else IngestRun.objects.create(source=source[:300])
    summary = IngestSummary()
    try:
        yield summary
    except (FeedError, ArxivError, ValidationError, ValueError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        _run_finish(run, summary, error=f"{source}: {message}")
        logger.error("ingest failed: %s: %s", source, message)
        raise IngestError(f"{source}: {message}") from error
    except DatabaseError as error:
        _run_finish(run, summary, error=f"{source}: database error: {error}")
        logger.exception("ingest failed: %s", source)
        raise IngestError(f"{source}: database error: {error}") from error
    _run_finish(run, summary)
    logger.info("ingest %s: %s", source, summary)


def _run_finish(run: IngestRun | None, summary: IngestSummary, *, error: str = "") -> None:
    if run is None:
        return
    run.status = IngestRun.Status.FAILED if error else IngestRun.Status.SUCCEEDED
    run.error = error
    run.finished_at = timezone.now()
    for name, value in summary.as_dict().items():
        if hasattr(run, name):
            setattr(run, name, value)
    run.save()


def _add(summary: IngestSummary, other: IngestSummary) -> None:
    for name, value in other.as_dict().items():
        setattr(summary, name, getattr(summary, name) + value)


def ingest_file(
    path: str, *, dry_run: bool = False, progress: Callable[[int], object] | None = None
) -> IngestSummary:
    """Ingest a saved arXiv API response or listing feed, streamed from disk; works offline."""
    with ingest_lock(), _recorded_run(f"file {path}", dry_run=dry_run) as summary:
        try:
            stream = open(path, "rb")  # noqa: SIM115 (closed below, after the last entry)
        except OSError as error:
            raise ValueError(f"cannot read {path}: {error.strerror}") from error
        with stream:
            _add(summary, entries_ingest(open_feed(stream), dry_run=dry_run, progress=progress))
    return summary


def ingest_ids(
    ids: list[str],
    *,
    source: str = "ids",
    dry_run: bool = False,
    client: ArxivClient | None = None,
) -> IngestSummary:
    """Fetch the papers' metadata from the arXiv API and upsert them."""
    client = client or ArxivClient()
    with ingest_lock(), _recorded_run(f"{source} {','.join(ids)}", dry_run=dry_run) as summary:
        entries = list(client.fetch_ids(ids))
        _add(summary, entries_ingest(entries, dry_run=dry_run))
    return summary


def ingest_submitted(
    categories: list[str],
    *,
    since: dt.date,
    until: dt.date,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
    client: ArxivClient | None = None,
) -> IngestSummary:
    """Back-fill: every paper first submitted in the date range, page by page from the API."""
    client = client or ArxivClient()
    source = f"back-fill {','.join(categories)} {since}..{until}"
    with ingest_lock(), _recorded_run(source, dry_run=dry_run) as summary:
        for category in categories:
            entries = client.fetch_submitted(category, since=since, until=until)
            _add(summary, entries_ingest(entries, dry_run=dry_run, progress=progress))
    return summary


def ingest_listings(
    categories: list[str] | None = None,
    *,
    dry_run: bool = False,
    client: ArxivClient | None = None,
) -> IngestSummary:
    """Ingest the latest daily announcement of each category, resuming where the last stopped.

    Each category's listing is read (one polite request each); categories whose latest
    announcement is already in are left alone. The new ids get their full metadata from the
    API, and papers, announcements and cursors are written in one transaction. If a run
    missed announcements (the site was down), papers submitted since the last one are
    back-filled from the API first.
    """
    categories = categories or settings.ARXIV_CATEGORIES
    client = client or ArxivClient()
    source = f"listings {','.join(categories)}"
    with ingest_lock(), _recorded_run(source, dry_run=dry_run) as summary:
        cursors = {
            c.source: c
            for c in IngestCursor.objects.filter(source__in=[_cursor_key(c) for c in categories])
        }
        listed: dict[str, ParsedEntry] = {}
        announced: dict[str, dt.date] = {}
        for category in categories:
            cursor = cursors.get(_cursor_key(category))
            entries = list(open_feed(client.listing(category)))
            if not entries:
                continue  # nothing announced (a weekend or a holiday)
            day = entries[0].announced_on
            if cursor and cursor.announced_on and day <= cursor.announced_on:
                continue
            if cursor and cursor.announced_on and cursor.announced_on < _previous_weekday(day):
                _add(
                    summary,
                    _ingest_missed(client, category, since=cursor.announced_on, until=day),
                )
            announced[category] = day
            for entry in entries:
                arxiv_id = split_version(entry.record.arxiv_id)[0]
                known = listed.get(arxiv_id)
                if _outranks(entry.announce_type, known.announce_type if known else None):
                    listed[arxiv_id] = entry
        with transaction.atomic():
            _add(summary, entries_ingest(_with_metadata(client, listed), dry_run=dry_run))
            if not dry_run:
                for category, day in announced.items():
                    IngestCursor.objects.update_or_create(
                        source=_cursor_key(category), defaults={"announced_on": day}
                    )
    return summary


def _ingest_missed(
    client: ArxivClient, category: str, *, since: dt.date, until: dt.date
) -> IngestSummary:
    """Papers submitted between two announcements this site saw (runs inside the lock)."""
    logger.warning("ingest: %s missed announcements %s..%s; back-filling", category, since, until)
    return entries_ingest(client.fetch_submitted(category, since=since, until=until))


def _with_metadata(client: ArxivClient, listed: dict[str, ParsedEntry]) -> Iterator[ParsedEntry]:
    """The listing's entries with the API's complete records, keeping the announcement."""
    complete = (
        {
            split_version(entry.record.arxiv_id)[0]: entry.record
            for entry in client.fetch_ids(list(listed))
        }
        if listed
        else {}
    )
    for arxiv_id, entry in listed.items():
        record = complete.get(arxiv_id, entry.record)
        yield ParsedEntry(
            record=record, announce_type=entry.announce_type, announced_on=entry.announced_on
        )


def _cursor_key(category: str) -> str:
    return f"listing:{category}"


def _previous_weekday(day: dt.date) -> dt.date:
    """The announcement before ``day``'s: arXiv announces on weekdays."""
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


# --- Merging duplicate papers (apps.moderation.merge) -----------------------------------


@transaction.atomic
def announcements_move(*, source: Paper, target: Paper) -> int:
    """Move the listing announcements of ``source`` (a duplicate being merged) to ``target``,
    except on days the target was announced too (one announcement a day: those are dropped),
    and forget the source's GitHub check. Returns how many moved."""
    moved = (
        Announcement.objects.filter(paper=source)
        .exclude(day__in=Announcement.objects.filter(paper=target).values("day"))
        .update(paper=target)
    )
    Announcement.objects.filter(paper=source).delete()
    GithubRepoCheck.objects.filter(paper=source).delete()
    return moved
