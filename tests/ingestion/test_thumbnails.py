"""Thumbnails: real PDFs over real HTTP, rendered by the real renderer in its limited process.

The PDFs are in fixtures/pdf (see build.py there for what each one is and how it was made).
"""

import datetime as dt
import io
import logging
from pathlib import Path

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image

from apps.ingestion import thumbnails
from apps.ingestion.tasks import _failed_key, render_missing_thumbnails, render_thumbnail
from apps.ingestion.thumbnails import thumbnail_render
from apps.papers.models import Paper
from config.celery import app as celery_app
from tests.factories import make_entry, make_paper

pytestmark = pytest.mark.django_db

PDFS = Path(__file__).parent / "fixtures" / "pdf"
BLUE = (0, 0, 255)


def pdf(name: str) -> bytes:
    return (PDFS / name).read_bytes()


@pytest.fixture(autouse=True)
def arxiv(settings, httpserver, tmp_path):
    """arXiv is the test's HTTP server; media files go to a temporary folder."""
    settings.ARXIV_PDF_URL = httpserver.url_for("/pdf/{arxiv_id}")
    settings.ARXIV_REQUEST_INTERVAL = 0.05
    settings.ARXIV_BACKOFF_SECONDS = 0.05
    settings.ARXIV_MAX_ATTEMPTS = 2
    settings.MEDIA_ROOT = tmp_path / "media"
    return httpserver


def serve_pdf(server, paper: Paper, body: bytes) -> None:
    server.expect_request(f"/pdf/{paper.arxiv_id}").respond_with_data(
        body, content_type="application/pdf"
    )


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 16 for a, b in zip(pixel, colour, strict=True))


def test_a_pdf_becomes_a_webp_of_the_top_of_its_first_page(settings, arxiv):
    paper = make_paper(arxiv_id="2410.09692")
    serve_pdf(arxiv, paper, pdf("paper.pdf"))

    assert thumbnail_render(paper=paper) is True

    paper.refresh_from_db()
    assert paper.thumbnail.name == "thumbnails/2410.09692.webp"
    [stored] = stored_files(settings)
    assert stored == Path(settings.MEDIA_ROOT) / "thumbnails" / "2410.09692.webp"
    image = Image.open(stored)
    assert image.format == "WEBP"
    assert image.size == (320, 427)  # THUMBNAIL_WIDTH, at 3:4
    rgb = image.convert("RGB")
    assert near(rgb.getpixel((160, 10)), BLUE)  # page 1's blue bar, at the top
    assert near(rgb.getpixel((160, 400)), (255, 255, 255))  # not page 2, which is red


def test_a_new_thumbnail_replaces_the_old_one_and_old_style_ids_make_safe_names(settings, arxiv):
    paper = make_paper(arxiv_id="hep-th/9901001")
    serve_pdf(arxiv, paper, pdf("paper.pdf"))
    assert thumbnail_render(paper=paper) is True
    first = Paper.objects.get(pk=paper.pk).thumbnail.name
    assert first == "thumbnails/hep-th_9901001.webp"

    assert thumbnail_render(paper=paper) is True

    second = Paper.objects.get(pk=paper.pk).thumbnail.name
    assert second != first
    assert second.startswith("thumbnails/hep-th_9901001")
    assert [path.name for path in stored_files(settings)] == [Path(second).name]


def test_a_page_kilometres_tall_renders_only_its_top(settings, arxiv):
    paper = make_paper()
    serve_pdf(arxiv, paper, pdf("tall-page.pdf"))

    assert thumbnail_render(paper=paper) is True

    image = Image.open(stored_files(settings)[0]).convert("RGB")
    assert image.size == (320, 427)
    assert near(image.getpixel((160, 5)), BLUE)


def respond_truncated(server, path):
    server.expect_request(path).respond_with_data(
        pdf("paper.pdf")[:400], content_type="application/pdf"
    )


def respond_garbage(server, path):
    server.expect_request(path).respond_with_data(
        b"%PDF-1.7\n" + bytes(range(256)) * 8, content_type="application/pdf"
    )


def respond_html(server, path):
    server.expect_request(path).respond_with_data(
        "<!doctype html><title>Verifying you are a human</title>", content_type="text/html"
    )


def respond_not_found(server, path):
    server.expect_request(path).respond_with_data("Not found", status=404)


def respond_flate_bomb(server, path):
    server.expect_request(path).respond_with_data(
        pdf("flate-bomb.pdf"), content_type="application/pdf"
    )


@pytest.mark.parametrize(
    ("respond", "reason"),
    [
        (respond_truncated, "renderer exited with status 1: cannot render"),
        (respond_garbage, "renderer exited with status 1: cannot render"),
        (respond_html, "download refused"),
        (respond_not_found, "download refused"),
        (respond_flate_bomb, "renderer killed by"),  # out of memory under its 1 GiB limit
    ],
)
def test_a_bad_download_or_pdf_leaves_the_placeholder(settings, arxiv, caplog, respond, reason):
    paper = make_paper()
    respond(arxiv, f"/pdf/{paper.arxiv_id}")

    with caplog.at_level(logging.WARNING, logger="apps.ingestion"):
        assert thumbnail_render(paper=paper) is False

    assert_placeholder_left(settings, caplog, paper, reason)


def test_an_oversize_pdf_is_not_downloaded_whole(settings, arxiv, caplog):
    settings.THUMBNAIL_MAX_PDF_BYTES = 500
    paper = make_paper()
    serve_pdf(arxiv, paper, pdf("paper.pdf"))  # 905 bytes

    with caplog.at_level(logging.WARNING, logger="apps.ingestion"):
        assert thumbnail_render(paper=paper) is False

    assert_placeholder_left(settings, caplog, paper, "download refused")


def test_a_pdf_that_computes_forever_is_stopped_by_the_cpu_limit(
    settings, arxiv, caplog, monkeypatch
):
    monkeypatch.setattr(thumbnails, "RENDER_CPU_SECONDS", 1)
    paper = make_paper()
    serve_pdf(arxiv, paper, pdf("function-spin.pdf"))

    with caplog.at_level(logging.WARNING, logger="apps.ingestion"):
        assert thumbnail_render(paper=paper) is False

    assert_placeholder_left(settings, caplog, paper, "renderer killed by SIGXCPU")


def test_a_pdf_that_computes_forever_is_stopped_by_the_timeout(
    settings, arxiv, caplog, monkeypatch
):
    monkeypatch.setattr(thumbnails, "RENDER_TIMEOUT_SECONDS", 1)
    paper = make_paper()
    serve_pdf(arxiv, paper, pdf("function-spin.pdf"))

    with caplog.at_level(logging.WARNING, logger="apps.ingestion"):
        assert thumbnail_render(paper=paper) is False

    assert_placeholder_left(settings, caplog, paper, "rendering timed out after 1 s")


def assert_placeholder_left(settings, caplog, paper: Paper, reason: str) -> None:
    paper.refresh_from_db()
    assert not paper.thumbnail
    assert stored_files(settings) == []
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"No thumbnail for paper {paper.pk}: " in warning.getMessage()
    assert reason in warning.getMessage()


def test_the_task_renders_once_and_skips_a_paper_with_a_thumbnail(arxiv):
    paper = make_paper()
    serve_pdf(arxiv, paper, pdf("paper.pdf"))

    assert render_thumbnail.apply(args=[paper.pk]).get() == "rendered"
    assert render_thumbnail.apply(args=[paper.pk]).get() == "already rendered"

    assert len(arxiv.log) == 1
    assert Paper.objects.get(pk=paper.pk).thumbnail


def test_while_arxiv_is_unavailable_thumbnails_pause(settings, arxiv, caplog):
    papers = [make_paper(), make_paper()]
    for paper in papers:
        make_entry(day=timezone.localdate(), paper=paper)
    arxiv.expect_request(f"/pdf/{papers[0].arxiv_id}").respond_with_data("Busy", status=503)

    with caplog.at_level(logging.WARNING, logger="apps.ingestion"):
        assert render_thumbnail.apply(args=[papers[0].pk]).get() == "arxiv unavailable"
        # The next paper does not wait through the client's retries again, nor does the sweep
        # queue anything until the pause is over.
        assert render_thumbnail.apply(args=[papers[1].pk]).get() == "arxiv unavailable"
        assert render_missing_thumbnails.apply().get() == 0

    assert len(arxiv.log) == settings.ARXIV_MAX_ATTEMPTS
    assert not Paper.objects.filter(thumbnail__gt="").exists()
    assert stored_files(settings) == []


def test_the_sweep_queues_recent_featured_papers_without_thumbnails(settings):
    today = timezone.localdate()
    wanted = make_entry(day=today).paper
    failed = make_entry(day=today).paper
    make_entry(day=today - dt.timedelta(days=30))  # too old
    make_paper()  # not on any list
    cache.set(_failed_key(failed.pk), True)
    with celery_app.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        queue.clear()
        assert render_missing_thumbnails.apply().get() == 1
        # The task message, read back from the real broker (no worker runs here).
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.headers["task"] == "apps.ingestion.tasks.render_thumbnail"
    assert message.payload[0] == [wanted.pk]


def test_the_partial_shows_the_image_or_a_placeholder_box(settings, arxiv):
    paper = make_paper(title="Attention & more")

    placeholder = render_to_string("partials/paper_thumbnail.html", {"paper": paper})

    assert "<img" not in placeholder
    assert 'aria-hidden="true"' in placeholder

    serve_pdf(arxiv, paper, pdf("paper.pdf"))
    thumbnail_render(paper=paper)
    paper.refresh_from_db()
    html = render_to_string("partials/paper_thumbnail.html", {"paper": paper})

    assert f'src="{settings.MEDIA_URL}{paper.thumbnail.name}"' in html
    assert 'alt="First page of “Attention &amp; more”"' in html
    assert 'loading="lazy"' in html
    assert 'width="320" height="427"' in html
    assert Image.open(io.BytesIO(paper.thumbnail.read())).size == (320, 427)
