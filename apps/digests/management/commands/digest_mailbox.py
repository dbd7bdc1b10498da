"""``manage.py digest_mailbox``: act on the bounces and mailto unsubscribes that came back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.digests.mailbox import MailboxError, mailbox_process


class Command(BaseCommand):
    help = (
        "Read the digest mailbox (Maildir directories, mbox files or single .eml messages): "
        "disable subscriptions whose digests hard-bounced (RFC 3464 reports) and unsubscribe "
        "those asked for by the List-Unsubscribe mailto (subject 'unsubscribe TOKEN'). "
        "Messages are left where they are; reading them again changes nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Maildir, mbox or .eml")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

    def handle(self, *args, paths: list[str], dry_run: bool, **options) -> None:
        try:
            summary = mailbox_process(paths, dry_run=dry_run)
        except MailboxError as error:
            raise CommandError(str(error)) from error
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{summary}"))
