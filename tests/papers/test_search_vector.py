import pytest
from django.db import connection

from apps.papers.models import Paper
from apps.papers.services import paper_search_vector_refresh
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


def _weights(paper: Paper) -> dict[str, str]:
    """lexeme -> weights letters, read back from the stored tsvector."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, array_to_string(weights, '') FROM papers_paper, "
            "unnest(search_vector) WHERE id = %s",
            [paper.pk],
        )
        return dict(cursor.fetchall())


def test_upsert_fills_search_vector_with_title_authors_abstract_weights():
    paper = make_paper(
        title="Diffusion transformers",
        abstract="We scale sparse attention.",
        authors=["Grace Hopper"],
    )
    weights = _weights(paper)
    assert weights["diffus"] == "A"
    assert weights["hopper"] == "B"
    assert weights["spars"] == "C"


def test_refresh_rebuilds_every_vector_in_one_update(django_assert_num_queries):
    papers = [make_paper(title=f"Graph networks {i}") for i in range(3)]
    Paper.objects.update(search_vector=None)
    with django_assert_num_queries(1):
        assert paper_search_vector_refresh() == 3
    assert all(_weights(p)["graph"] == "A" for p in papers)


def test_paper_without_authors_still_gets_a_vector():
    paper = make_paper(title="Lonely paper", authors=[])
    assert _weights(paper)["lone"] == "A"
