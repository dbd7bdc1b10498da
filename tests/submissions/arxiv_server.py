"""A local arXiv API (pytest_httpserver) serving saved real responses, for the submission
tests and the browser test: the real client and the real worker talk to it over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response

from tests.ingestion.conftest import ARXIV_FIXTURES

FIXTURES = Path(__file__).parent / "fixtures"

# Saved API responses by the id_list asked for; any other id gets arXiv's empty feed.
RESPONSES = {
    "2507.10541": FIXTURES / "api_2507.10541.xml",
    "astro-ph/0601001": ARXIV_FIXTURES / "api_old_style_affiliations.xml",
}
EMPTY_FEED = ARXIV_FIXTURES / "api_empty.xml"


@dataclass
class FakeArxiv:
    """What the local API server answers; ``requests`` records the id_list of each request."""

    failing: int = 0  # answer this many requests with 503 first
    requests: list[str] = field(default_factory=list)
    # Instead of the saved response for the id: this file, with this status.
    fixed: Path | None = None
    fixed_status: int = 200

    def handle(self, request: Request) -> Response:
        id_list = request.args.get("id_list", "")
        self.requests.append(id_list)
        if self.failing:
            self.failing -= 1
            return Response("Service Unavailable", status=503, content_type="text/plain")
        path = self.fixed or RESPONSES.get(id_list, EMPTY_FEED)
        return Response(
            path.read_bytes(),
            status=self.fixed_status,
            content_type="application/atom+xml; charset=UTF-8",
        )


def serve_arxiv(httpserver, settings) -> FakeArxiv:
    """Point this process's settings at a fake arXiv on ``httpserver``; fast retries."""
    fake = FakeArxiv()
    httpserver.expect_request("/api/query").respond_with_handler(fake.handle)
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    settings.ARXIV_REQUEST_INTERVAL = 0.01
    settings.ARXIV_BACKOFF_SECONDS = 0.01
    settings.ARXIV_MAX_ATTEMPTS = 2
    settings.ARXIV_TIMEOUT = 5
    return fake


def worker_env(settings, *, max_age_days: int) -> dict[str, str]:
    """The same for a worker process, through its environment (``celery_worker_env``)."""
    return {
        "ARXIV_API_URL": settings.ARXIV_API_URL,
        "ARXIV_REQUEST_INTERVAL": "0.2",
        "ARXIV_BACKOFF_SECONDS": "0.1",
        "ARXIV_MAX_ATTEMPTS": "2",
        "SUBMISSION_MAX_PAPER_AGE_DAYS": str(max_age_days),
    }
