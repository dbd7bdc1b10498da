"""``manage.py ingest_arxiv``: the beat's ingest by hand, a back-fill, some ids, or a saved file."""

from __future__ import annotations

import datetime as dt
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.ingestion import services
from apps.papers.arxiv_ids import split_version


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date like 2026-11-27.") from error


class Command(BaseCommand):
    help = (
        "Ingest papers from arXiv: the latest announcement of the configured categories "
        "(default), a back-fill by submission date (--since/--until), some ids (--ids) or a "
        "saved API response or listing feed (--from-file, offline)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--category",
            action="append",
            dest="categories",
            metavar="CAT",
            help=f"an arXiv category, repeatable (default: {','.join(settings.ARXIV_CATEGORIES)})",
        )
        parser.add_argument("--since", type=_date, help="back-fill from this submission date")
        parser.add_argument("--until", type=_date, help="back-fill up to this date (default today)")
        parser.add_argument(
            "--ids", help="comma-separated arXiv ids, e.g. 2410.09692,hep-th/9901001"
        )
        parser.add_argument("--from-file", metavar="PATH", help="a saved API response or listing")
        parser.add_argument("--dry-run", action="store_true", help="report, then roll back")

    def handle(self, *args, categories, since, until, ids, from_file, dry_run, **options) -> None:
        sources = [bool(from_file), bool(ids), bool(since or until)]
        if sum(sources) > 1:
            raise CommandError("Use one of --from-file, --ids or --since/--until at a time.")
        if until and not since:
            raise CommandError("--until needs --since.")
        categories = categories or settings.ARXIV_CATEGORIES
        with tqdm(
            unit=" papers",
            disable=not sys.stderr.isatty() or options["verbosity"] == 0,
            file=sys.stderr,
        ) as bar:
            try:
                if from_file:
                    summary = services.ingest_file(from_file, dry_run=dry_run, progress=bar.update)
                elif ids:
                    summary = services.ingest_ids(_id_list(ids), dry_run=dry_run)
                elif since:
                    until = until or dt.date.today()  # noqa: DTZ011 (arXiv dates are dates)
                    if until < since:
                        raise CommandError("--until is before --since.")
                    summary = services.ingest_submitted(
                        categories, since=since, until=until, dry_run=dry_run, progress=bar.update
                    )
                else:
                    summary = services.ingest_listings(categories, dry_run=dry_run)
            except services.IngestError as error:
                raise CommandError(str(error)) from error
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{summary}"))


def _id_list(raw: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise CommandError("--ids is empty.")
    for arxiv_id in ids:
        try:
            split_version(arxiv_id)
        except ValueError as error:
            raise CommandError(f"{arxiv_id!r} is not an arXiv id.") from error
    return ids
