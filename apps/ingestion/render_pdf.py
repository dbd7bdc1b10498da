"""Render the top of a PDF's first page as a WebP thumbnail, in a process of its own.

Usage: ``python -m apps.ingestion.render_pdf WIDTH HEIGHT < paper.pdf > thumbnail.webp``

PDFs come from anywhere, and pdfium is C++: apps.ingestion.thumbnails runs this module in a
child process with memory and CPU limits, so that a hostile file that crashes or hangs the
renderer costs that child only. It imports neither Django nor the project's settings. On
failure it exits with status 1 and one line on stderr saying why.
"""

import io
import sys

import pypdfium2 as pdfium
from PIL import Image

WEBP_QUALITY = 80


def render_first_page(pdf: bytes, *, width: int, height: int) -> bytes:
    """Page 1 scaled to ``width`` px wide, top-aligned on a white ``width`` x ``height`` canvas.

    A page taller than the canvas loses its bottom, which is never rendered (the bitmap pdfium
    draws into is the canvas at most, whatever the page's size); a shorter one gets a white
    margin below.
    """
    document = pdfium.PdfDocument(pdf)
    if len(document) == 0:
        raise ValueError("the PDF has no pages")
    page = document[0]
    page_width, page_height = page.get_size()
    if not (page_width > 0 and page_height > 0):
        raise ValueError(f"page 1 has no area ({page_width} x {page_height} pt)")
    scale = width / page_width
    # In points, before scaling: (left, bottom, right, top).
    cut_from_bottom = max(0.0, page_height - height / scale)
    bitmap = page.render(scale=scale, crop=(0, cut_from_bottom, 0, 0))
    image = bitmap.to_pil().convert("RGB")
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(image.crop((0, 0, min(image.width, width), min(image.height, height))))
    out = io.BytesIO()
    canvas.save(out, "WEBP", quality=WEBP_QUALITY, method=6)
    return out.getvalue()


def main(argv: list[str]) -> int:
    width, height = (int(value) for value in argv)
    try:
        webp = render_first_page(sys.stdin.buffer.read(), width=width, height=height)
    except (pdfium.PdfiumError, ValueError) as exc:
        print(f"cannot render: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(webp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
