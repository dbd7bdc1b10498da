"""Paper thumbnails: the top of page 1 of the PDF, as a WebP image in media storage.

The PDF is rendered in a child process (apps.ingestion.render_pdf) with limits on memory and
CPU time and a wall-clock timeout: PDFs are untrusted input, and a crash or hang of pdfium
there costs the child only, never the Celery worker.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import sys

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from apps.ingestion.client import ArxivClient, ArxivError, ArxivUnavailable
from apps.papers.models import Paper

logger = logging.getLogger(__name__)

# Width:height of every thumbnail (portrait, like a page); taller pages lose their bottom.
ASPECT = (3, 4)
RENDER_MEMORY_BYTES = 1 << 30  # address space
RENDER_CPU_SECONDS = 20
RENDER_TIMEOUT_SECONDS = 30
# A 320 x 427 WebP is tens of kilobytes; anything far larger did not come from the renderer.
MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024


class RenderError(Exception):
    """The renderer failed, hung or gave something that is not a WebP image."""


def thumbnail_size() -> tuple[int, int]:
    """(width, height) in pixels of every thumbnail."""
    width = settings.THUMBNAIL_WIDTH
    return width, round(width * ASPECT[1] / ASPECT[0])


def thumbnail_render(*, paper: Paper, raise_unavailable: bool = False) -> bool:
    """Download ``paper``'s PDF, render its thumbnail and store it, replacing an older one.

    Returns False and logs one warning, leaving the paper as it was, when the download or the
    rendering fails; raises nothing, except ``ArxivUnavailable`` if ``raise_unavailable``
    (the task retries those: arXiv may answer later, a broken PDF stays broken).
    """
    try:
        pdf = ArxivClient().pdf(paper.arxiv_id, max_bytes=settings.THUMBNAIL_MAX_PDF_BYTES)
    except ArxivUnavailable as exc:
        if raise_unavailable:
            raise
        logger.warning("No thumbnail for paper %s: arXiv unavailable: %s", paper.pk, exc)
        return False
    except ArxivError as exc:
        logger.warning("No thumbnail for paper %s: download refused: %s", paper.pk, exc)
        return False
    try:
        webp = first_page_webp(pdf)
    except RenderError as exc:
        logger.warning("No thumbnail for paper %s: %s", paper.pk, exc)
        return False
    return _thumbnail_store(paper, webp)


def first_page_webp(pdf: bytes) -> bytes:
    """The WebP thumbnail of ``pdf``'s first page, rendered in a limited child process."""
    width, height = thumbnail_size()
    try:
        result = subprocess.run(  # noqa: S603 (our interpreter and module, fixed arguments)
            [sys.executable, "-m", "apps.ingestion.render_pdf", str(width), str(height)],
            input=pdf,
            capture_output=True,
            timeout=RENDER_TIMEOUT_SECONDS,
            cwd=settings.BASE_DIR,
            # The child reads hostile data: it gets none of the worker's secrets.
            env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"},
            preexec_fn=_limit_resources,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(f"rendering timed out after {RENDER_TIMEOUT_SECONDS} s") from None
    if result.returncode < 0:
        raise RenderError(f"renderer killed by {signal.Signals(-result.returncode).name}")
    if result.returncode != 0:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or [""]
        raise RenderError(f"renderer exited with status {result.returncode}: {lines[-1][:300]}")
    webp = result.stdout
    if not (webp[:4] == b"RIFF" and webp[8:12] == b"WEBP" and len(webp) <= MAX_THUMBNAIL_BYTES):
        raise RenderError(f"renderer output is not a WebP image ({len(webp)} bytes)")
    return webp


def _limit_resources() -> None:
    """Runs in the child between fork and exec."""
    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY_BYTES, RENDER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (RENDER_CPU_SECONDS, RENDER_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes to stdout (a pipe) only
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _thumbnail_store(paper: Paper, webp: bytes) -> bool:
    """Save the image under a new name, point the paper at it, then delete the one it replaces."""
    safe_name = paper.arxiv_id.replace("/", "_")  # old-style ids: "hep-th/9901001"
    field = paper.thumbnail
    field.save(f"{safe_name}.webp", ContentFile(webp), save=False)
    with transaction.atomic():
        previous = (
            Paper.objects.select_for_update()
            .filter(pk=paper.pk)
            .values_list("thumbnail", flat=True)
            .first()
        )
        if previous is not None:
            Paper.objects.filter(pk=paper.pk).update(thumbnail=field.name)
    if previous is None:  # the paper was deleted meanwhile
        field.storage.delete(field.name)
        field.name = ""
        return False
    if previous and previous != field.name:
        field.storage.delete(previous)
    return True
