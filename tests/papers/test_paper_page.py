import datetime as dt

import pytest

from apps.papers.models import Paper
from tests.factories import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper():
    paper = make_paper(
        arxiv_id="2410.09692",
        title="Sparse attention for $O(n \\log n)$ transformers",
        abstract="We show that $\\mathcal{L} = \\sum_i x_i^2$ <b>bounds</b> the loss.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Emmy Noether", "Kurt Gödel"],
        upvotes=7,
    )
    Paper.objects.filter(pk=paper.pk).update(
        github_repo="https://github.com/example/sparse",
        project_page="https://example.org/sparse",
    )
    make_entry(
        day=dt.date(2024, 10, 14), paper=paper, submitted_by=make_user("ada", display_name="Ada L.")
    )
    return paper


def test_paper_page_shows_everything_a_reader_needs(client, paper):
    html = client.get("/papers/2410.09692").text
    assert "Sparse attention for $O(n \\log n)$ transformers" in html
    assert "$\\mathcal{L} = \\sum_i x_i^2$ &lt;b&gt;bounds&lt;/b&gt; the loss." in html
    for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Emmy Noether", "Kurt Gödel"):
        assert name in html
    assert "Oct 1, 2024" in html  # published
    assert 'href="/papers/date/2024-10-14"' in html
    assert (
        'submitted by <a href="/users/ada"><bdi class="user-name">Ada L.</bdi> '
        '<span class="user-handle">@ada</span></a>'
    ) in html
    for link in (
        "https://arxiv.org/abs/2410.09692",
        "https://arxiv.org/pdf/2410.09692",
        "https://github.com/example/sparse",
        "https://example.org/sparse",
    ):
        assert f'href="{link}"' in html
    assert '<span class="vote-count">7</span>' in html
    assert 'id="discussion"' in html


def test_paper_page_loads_vendored_katex_and_no_inline_script(client, paper):
    html = client.get("/papers/2410.09692").text
    assert "/static/vendor/katex/katex.min.js" in html
    assert "/static/vendor/katex/contrib/auto-render.min.js" in html
    assert "/static/vendor/katex/katex.min.css" in html
    assert "/static/js/math.js" in html
    assert "<script>" not in html
    assert 'class="abstract math"' in html


def test_versioned_id_redirects_permanently_to_the_plain_one(client, paper):
    response = client.get("/papers/2410.09692v2")
    assert response.status_code == 301
    assert response["Location"] == "/papers/2410.09692"
    response = client.get("/papers/2410.09692v3.md")
    assert response["Location"] == "/papers/2410.09692.md"


@pytest.mark.parametrize(
    "url", ["/papers/2410.99999", "/papers/2410.99999.md", "/papers/not-an-id"]
)
def test_unknown_paper_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_markdown_version_of_the_page(client, paper):
    response = client.get("/papers/2410.09692.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    body = response.text
    assert body.startswith("# Sparse attention for $O(n \\log n)$ transformers\n")
    assert "- arXiv: [2410.09692](https://arxiv.org/abs/2410.09692)" in body
    assert "Ada Lovelace, Alan Turing, Grace Hopper, Emmy Noether, Kurt Gödel" in body
    assert "- Upvotes: 7" in body
    assert "- Featured on: 2024-10-14, submitted by Ada L." in body
    assert "- Code: https://github.com/example/sparse" in body
    assert (
        "## Abstract\n\nWe show that $\\mathcal{L} = \\sum_i x_i^2$ <b>bounds</b> the loss." in body
    )
    assert "- Page: http://testserver/papers/2410.09692" in body


def test_similar_papers_are_the_nearest_by_text(client):
    authors = iter([["Ann Ash"], ["Bo Birch"], ["Cy Cedar"], ["Di Dogwood"], ["Ed Elm"]])
    target = make_paper(
        authors=next(authors),
        arxiv_id="2410.00001",
        title="Graph neural networks for molecule property prediction",
        abstract="We train graph neural networks on molecules to predict chemical properties.",
    )
    near = make_paper(
        authors=next(authors),
        arxiv_id="2410.00002",
        title="Molecule property prediction with message passing graph networks",
        abstract="Message passing graph networks predict molecule properties.",
    )
    closer = make_paper(
        authors=next(authors),
        arxiv_id="2410.00003",
        title="Graph neural networks predict molecule properties",
        abstract="Graph neural networks trained on molecules predict chemical properties well.",
    )
    make_paper(
        authors=next(authors),
        arxiv_id="2410.00004",
        title="Protein folding with diffusion",
        abstract="A diffusion model folds proteins.",
    )
    make_paper(
        authors=next(authors),
        arxiv_id="2410.00005",
        title="Weather forecasting",
        abstract="Rain tomorrow.",
    )
    response = client.get(target.get_absolute_url())
    similar = [p.arxiv_id for p in response.context["similar"]]
    assert similar[:2] == [closer.arxiv_id, near.arxiv_id]
    assert target.arxiv_id not in similar
    assert "2410.00005" not in similar  # shares no word with the paper
    assert 'id="similar-heading"' in response.text


def _similar_ids(client, url: str) -> list[str]:
    return [p.arxiv_id for p in client.get(url).context["similar"]]


def test_similar_papers_follow_an_edit_of_the_paper(client):
    make_paper(arxiv_id="2410.00001", title="Quantum error correction codes")
    make_paper(arxiv_id="2410.00002", title="Quantum error correction thresholds")
    make_paper(arxiv_id="2410.00003", title="Bayesian optimisation of hyperparameters")
    assert _similar_ids(client, "/papers/2410.00001")[0] == "2410.00002"
    # A new version changes modified_at, the cache key of the similar papers.
    make_paper(arxiv_id="2410.00001", title="Bayesian optimisation for tuning")
    assert _similar_ids(client, "/papers/2410.00001")[0] == "2410.00003"


def test_paper_page_uses_a_constant_number_of_queries(client, django_assert_max_num_queries):
    few = make_paper(arxiv_id="2410.00001", title="Graph networks", authors=["A B"] * 1)
    many = make_paper(
        arxiv_id="2410.00002",
        title="Graph networks at scale",
        authors=[f"Author {i}" for i in range(30)],
    )
    for paper in (few, many):
        make_entry(day=dt.date(2024, 10, 2), paper=paper, submitted_by=make_user())
    for i in range(10):
        make_paper(arxiv_id=f"2410.{i + 10:05d}", title=f"Graph networks {i}")
    # paper, authorships, authors, similar papers (2, uncached), approved claims, comments
    with django_assert_max_num_queries(7):
        client.get("/papers/2410.00001")
    with django_assert_max_num_queries(7):
        response = client.get("/papers/2410.00002")
    assert len(response.context["similar"]) == 5
