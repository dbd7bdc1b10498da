"""``manage.py send_digests``: the hourly beat task by hand, or one period for everyone."""

from __future__ import annotations

import argparse
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.digests.models import Frequency
from apps.digests.schedule import period_containing
from apps.digests.sending import deliveries_due_count, deliveries_plan, deliveries_send
from apps.papers.periods import Period, parse_day, parse_week


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def _period(frequency: str, value: str) -> Period:
    """A day (YYYY-MM-DD) for daily digests; an ISO week (YYYY-Www) or any day of it for
    weekly ones."""
    try:
        if frequency == Frequency.DAILY:
            return parse_day(value)
        if "W" in value.upper():
            return parse_week(value.upper())
        return period_containing(frequency, parse_day(value).start)
    except ValueError as error:
        expected = "a date like 2026-11-27"
        if frequency == Frequency.WEEKLY:
            expected = "an ISO week like 2026-W48, or a date in the week"
        raise CommandError(f"--period {value!r} is not {expected} ({error}).") from error


class Command(BaseCommand):
    help = (
        "Send the digests that are due now (what the hourly beat task does), or with --period "
        "one period's digest to every active subscriber who has not had it yet. Sending goes "
        "on until no delivery is due, of either frequency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--frequency", required=True, choices=Frequency.values)
        parser.add_argument(
            "--period",
            help="daily: YYYY-MM-DD; weekly: YYYY-Www or a date in the week (default: what is due)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, write and send nothing")
        parser.add_argument("--batch-size", type=_positive, help="emails per batch and connection")

    def handle(self, *args, frequency, period, dry_run, batch_size, **options) -> None:
        chosen = _period(frequency, period) if period else None
        try:
            plan = deliveries_plan(frequency=frequency, period=chosen, dry_run=dry_run)
        except ValueError as error:
            raise CommandError(f"--period {period}: {error}.") from error
        periods = ""
        if plan.periods:
            periods = f" for {', '.join(p.value for p in plan.periods)}"
        if plan.empty_periods:
            names = ", ".join(p.value for p in plan.empty_periods)
            periods += f"; nothing to send for {names} (no papers)"
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing written or sent: due {plan.due}, "
                f"would plan {plan.planned}{periods}."
            )
            return
        with tqdm(
            total=deliveries_due_count(),
            unit=" emails",
            disable=not sys.stderr.isatty() or options["verbosity"] == 0,
            file=sys.stderr,
        ) as bar:
            sent = deliveries_send(batch_size=batch_size, progress=bar.update)
        retried = f" ({sent.retried} to retry later)" if sent.retried else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"due {plan.due}, sent {sent.sent}, skipped {sent.skipped}, "
                f"failed {sent.failed}{retried}{periods}."
            )
        )
