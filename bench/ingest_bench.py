"""Ingest throughput and memory: parse + upsert of generated arXiv API feeds.

    .venv/bin/python bench/ingest_bench.py [--entries 10000] [--memory-entries 100000]

Writes an arXiv API (Atom) response of ``--entries`` papers shaped like a real one (eight
authors with affiliations, categories, comment, DOI, two versions), then times
``ingest_file`` on it twice: the first run creates every paper, the second finds them all
unchanged. Then, in a child process, it ingests a ``--memory-entries`` file and reports the
child's peak resident memory. Targets (issue 9): at least 2,000 papers/s, at most 200 MB.
Uses the bench database (``paperboard_bench``, see bench/README.md; created and migrated if
needed), with or without generate.py's data in it; the bench papers (ids ``0002.NNNNN`` and
``0003.NNNNN``) and their authors are removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_NAME", "paperboard_bench")
os.environ.setdefault("DEBUG", "1")  # settings without production secrets; no query log below
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET_PAPERS_PER_SECOND = 2000
TARGET_PEAK_MB = 200

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/bench</id>
  <title>arXiv Query: bench</title>
  <updated>2026-11-27T00:00:00Z</updated>
  <link href="https://arxiv.org/api/query?id_list=bench" type="application/atom+xml"/>
  <opensearch:itemsPerPage>{n}</opensearch:itemsPerPage>
  <opensearch:totalResults>{n}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""

ENTRY = """  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v2</id>
    <title>Scaling {n} diffusion transformers with $\\mathcal{{O}}(n \\log n)$ attention</title>
    <updated>2026-11-20T18:00:00Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{arxiv_id}v2" rel="related" type="application/pdf"
      title="pdf"/>
    <summary>We study paper {n} and show that diffusion models scale with data and compute.
  Code is at https://github.com/bench-org/repo-{n}. Experiments on ImageNet and COCO
  confirm the trend across {n} settings.</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-11-10T17:00:00Z</published>
    <arxiv:comment>12 pages, 5 figures</arxiv:comment>
    <arxiv:primary_category term="cs.LG"/>
    <arxiv:journal_ref>Bench Conf. 2026</arxiv:journal_ref>
    <arxiv:doi>10.1000/bench.{n}</arxiv:doi>
{authors}  </entry>
"""

AUTHOR = """    <author>
      <name>{name}</name>
      <arxiv:affiliation>{affiliation}</arxiv:affiliation>
    </author>
"""


def bench_id(n: int) -> str:
    return f"{2 + n // 100_000:04d}.{n % 100_000:05d}"


def write_feed(path: Path, entries: int) -> None:
    """A feed of ``entries`` papers; author names repeat across papers, as in a real corpus."""
    with path.open("w", encoding="utf-8") as feed:
        feed.write(HEAD.format(n=entries))
        for n in range(entries):
            authors = "".join(
                AUTHOR.format(
                    name=escape(f"Bench Author {(n * 7 + k * 131) % 40_000}"),
                    affiliation=escape(f"University {k}"),
                )
                for k in range(8)
            )
            feed.write(ENTRY.format(arxiv_id=bench_id(n), n=n, authors=authors))
        feed.write("</feed>\n")


def timed_ingest(path: Path) -> tuple[float, object]:
    from apps.ingestion.services import ingest_file

    started = time.perf_counter()
    summary = ingest_file(str(path))
    return time.perf_counter() - started, summary


def clean_up() -> None:
    from django.db import connection
    from django.db.models import Q

    from apps.papers.models import Author, Paper

    Paper.objects.filter(Q(arxiv_id__startswith="0002.") | Q(arxiv_id__startswith="0003.")).delete()
    Author.objects.filter(name__startswith="Bench Author ", authorships__isnull=True).delete()
    # Dead rows of an earlier run would slow the next one down: runs stay comparable.
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE papers_paper, papers_author, papers_authorship, papers_paperversion"
        )


def _no_query_log() -> None:
    """Under DEBUG, Django keeps every query's SQL: not what production pays, in time or memory."""
    from django.conf import settings

    settings.DEBUG = False


def memory_child(path: str) -> None:
    """Run in a child process: ingest the file and print the peak resident set in MB."""
    import django

    django.setup()
    _no_query_log()
    from apps.ingestion.services import ingest_file

    summary = ingest_file(path)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak_mb:.0f} {summary.created}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--memory-entries", type=int, default=100_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(args.child)
        return

    import django

    from config import embedded

    embedded.start()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from generate import ensure_database

    _no_query_log()
    name = settings.DATABASES["default"]["NAME"]
    if "bench" not in name:
        sys.exit(f"Refusing to use database {name!r}: its name must contain 'bench'.")
    ensure_database(name)
    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        clean_up()
        path = Path(tmp) / "feed.xml"
        write_feed(path, args.entries)
        size_mb = path.stat().st_size / 1e6
        first, summary = timed_ingest(path)
        print(
            f"{args.entries:,} entries ({size_mb:.1f} MB), first run: {first:.2f} s, "
            f"{args.entries / first:,.0f} papers/s ({summary})"
        )
        second, summary = timed_ingest(path)
        print(f"re-run: {second:.2f} s, {args.entries / second:,.0f} papers/s ({summary})")
        clean_up()
        verdict = "meets" if args.entries / first >= TARGET_PAPERS_PER_SECOND else "MISSES"
        print(f"throughput {verdict} the target of {TARGET_PAPERS_PER_SECOND:,} papers/s")

        if args.memory_entries:
            big = Path(tmp) / "big.xml"
            write_feed(big, args.memory_entries)
            started = time.perf_counter()
            output = subprocess.run(  # noqa: S603
                [sys.executable, __file__, "--child", str(big)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            elapsed = time.perf_counter() - started
            peak_mb, created = float(output[-2]), int(output[-1])
            print(
                f"{args.memory_entries:,} entries ({big.stat().st_size / 1e6:.0f} MB): "
                f"{created:,} created in {elapsed:.1f} s, peak memory {peak_mb:.0f} MB"
            )
            verdict = "meets" if peak_mb <= TARGET_PEAK_MB else "MISSES"
            print(f"memory {verdict} the target of {TARGET_PEAK_MB} MB")
            clean_up()
    embedded.release()


if __name__ == "__main__":
    main()
