from django.core.management.base import BaseCommand

from apps.demo.seeding import seed_demo


class Command(BaseCommand):
    help = "Load the demo data set (idempotent: running it twice leaves the same rows)."

    def handle(self, *args, **options) -> None:
        summary = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {summary.papers} papers on {len(summary.days)} days "
                f"({summary.days[-1]} to {summary.days[0]}), {summary.users} users; "
                f"{summary.skipped} skipped for lacking an arXiv id; "
                f"{summary.announced} papers of a saved arXiv listing on the New page; "
                f"{summary.digests} past digests."
            )
        )
