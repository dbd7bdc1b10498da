import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse

from apps.papers.search import MAX_QUERY_LENGTH, arxiv_id_in_query, clean_query
from tests.factories import make_entry, make_paper

pytestmark = pytest.mark.django_db

URL = reverse("papers:search")


def _result_ids(response) -> list[str]:
    return [paper.arxiv_id for paper in response.context["page"].object_list]


def test_title_match_ranks_above_abstract_and_author_matches(client):
    make_paper(arxiv_id="2401.00001", title="A survey of robots", abstract="Diffusion is used.")
    make_paper(arxiv_id="2401.00002", title="Diffusion models beat GANs", abstract="We win.")
    make_paper(arxiv_id="2401.00003", title="On graphs", authors=["Dana Diffusion"])
    response = client.get(URL, {"q": "diffusion "})
    assert _result_ids(response) == ["2401.00002", "2401.00003", "2401.00001"]


def test_results_with_equal_relevance_go_to_the_most_upvoted(client):
    make_paper(arxiv_id="2401.00001", title="Sparse attention", upvotes=1)
    make_paper(arxiv_id="2401.00002", title="Sparse attention", upvotes=9)
    assert _result_ids(client.get(URL, {"q": "sparse attention"})) == ["2401.00002", "2401.00001"]


def test_quoted_phrase_needs_the_words_adjacent_and_in_order(client):
    make_paper(arxiv_id="2401.00001", title="Attention is all you need")
    make_paper(arxiv_id="2401.00002", title="What we need: attention to detail")
    assert _result_ids(client.get(URL, {"q": '"attention is all you need"'})) == ["2401.00001"]
    assert set(_result_ids(client.get(URL, {"q": "attention need "}))) == {
        "2401.00001",
        "2401.00002",
    }


def test_star_and_last_typed_word_are_prefixes(client):
    make_paper(arxiv_id="2401.00001", title="Vision transformers at scale")
    make_paper(arxiv_id="2401.00002", title="Recurrent networks")
    assert _result_ids(client.get(URL, {"q": "transf*"})) == ["2401.00001"]
    assert _result_ids(client.get(URL, {"q": "vision transf"})) == ["2401.00001"]
    assert _result_ids(client.get(URL, {"q": "netw"})) == ["2401.00002"]


def test_a_completed_last_word_is_not_a_prefix(client):
    make_paper(arxiv_id="2401.00001", title="Graph networks")
    make_paper(arxiv_id="2401.00002", title="Graphene sheets")
    assert _result_ids(client.get(URL, {"q": "graph "})) == ["2401.00001"]
    assert set(_result_ids(client.get(URL, {"q": "graph"}))) == {"2401.00001", "2401.00002"}


def test_excluded_word_removes_papers(client):
    make_paper(arxiv_id="2401.00001", title="Language models for code")
    make_paper(arxiv_id="2401.00002", title="Language models for law")
    assert _result_ids(client.get(URL, {"q": "language models -code "})) == ["2401.00002"]


def test_author_names_are_searchable(client):
    make_paper(arxiv_id="2401.00001", authors=["Grace Hopper"])
    make_paper(arxiv_id="2401.00002", authors=["Alan Turing"])
    assert _result_ids(client.get(URL, {"q": "hopper"})) == ["2401.00001"]


def test_snippets_highlight_matches_and_escape_everything_else(client):
    make_paper(
        arxiv_id="2401.00001",
        title="<script>alert(1)</script> Diffusion",
        abstract="Our <b>diffusion</b> model & friends.",
        authors=["<b>Eve</b>", "Ada"],
    )
    response = client.get(URL, {"q": "diffusion"})
    html = response.content.decode()
    assert "<mark>Diffusion</mark>" in html
    assert "<mark>diffusion</mark>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html
    assert "&amp; friends" in html
    assert "&lt;b&gt;Eve&lt;/b&gt;, Ada" in html


def test_results_are_paginated(client):
    for i in range(25):
        make_paper(arxiv_id=f"2401.{i:05d}", title=f"Paginated result {i}")
    first = client.get(URL, {"q": "paginated"})
    second = client.get(URL, {"q": "paginated", "page": "2"})
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert set(_result_ids(first)).isdisjoint(_result_ids(second))
    assert 'rel="next"' in first.content.decode()
    # A page number past the end or not a number gives a page, not an error.
    assert client.get(URL, {"q": "paginated", "page": "99"}).status_code == 200
    assert client.get(URL, {"q": "paginated", "page": "x'--"}).status_code == 200


def test_search_query_count_is_constant_in_the_number_of_results(
    client, django_assert_max_num_queries
):
    for i in range(3):
        make_entry(day=dt.date(2024, 10, 1), arxiv_id=f"2401.{i:05d}", title=f"Counted {i}")
    # ids (inside a savepoint with its timeout: 4 statements under the test transaction, 6
    # when too few of the matches are popular and all papers are searched), then the page's
    # papers with their author names.
    with django_assert_max_num_queries(7):
        client.get(URL, {"q": "counted"})
    for i in range(3, 20):
        make_entry(day=dt.date(2024, 10, 2), arxiv_id=f"2401.{i:05d}", title=f"Counted {i}")
    with django_assert_max_num_queries(7):
        response = client.get(URL, {"q": "counted"})
    assert len(response.context["page"].object_list) == 20


@pytest.mark.parametrize(
    "query",
    [
        "2410.09692",
        "2410.09692v3",
        "arXiv:2410.09692",
        "https://arxiv.org/abs/2410.09692",
        "https://arxiv.org/abs/2410.09692v2",
        "http://arxiv.org/pdf/2410.09692v2.pdf",
        "arxiv.org/pdf/2410.09692",
        "https://www.arxiv.org/abs/2410.09692/",
        "  https://export.arxiv.org/abs/2410.09692  ",
    ],
)
def test_arxiv_ids_and_urls_jump_to_the_paper(client, query):
    make_paper(arxiv_id="2410.09692")
    response = client.get(URL, {"q": query})
    assert response.status_code == 302
    assert response["Location"] == "/papers/2410.09692"


def test_old_style_ids_jump_to_the_paper(client):
    make_paper(arxiv_id="hep-th/9901001")
    response = client.get(URL, {"q": "https://arxiv.org/abs/HEP-TH/9901001v2"})
    assert response["Location"] == "/papers/hep-th/9901001"


def test_unknown_arxiv_id_shows_a_link_to_arxiv(client):
    response = client.get(URL, {"q": "2410.99999v1"})
    assert response.status_code == 200
    assert "https://arxiv.org/abs/2410.99999" in response.content.decode()


def test_arxiv_id_detection_ignores_ids_inside_other_text():
    assert arxiv_id_in_query("see 2410.09692 for details") is None
    assert arxiv_id_in_query("https://example.org/abs/2410.09692") is None
    assert arxiv_id_in_query("math.ag/0601001") == "math.AG/0601001"


HOSTILE = [
    "",
    " ",
    "*",
    '"',
    '""',
    '"unclosed phrase',
    "-",
    "or",
    "!!! & | :* <-> ()",
    "' OR 1=1; DROP TABLE papers_paper; --",
    "'); SELECT pg_sleep(10); --",
    "a:*b & !c",
    "\\",
    "%_%",
    "x" * 10_000,
    "diffusion " * 2_000,
    "\x00",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "\udfff",
    "emoji 🧪🚀 ",
    "\uff46\uff55\uff4c\uff4c width",  # full-width letters
    "مرحبا بالعالم",
    "数学 モデル",
    "\u202eright-to-left override",
    "zero\u200bwidth",
    "\ue000private\ue001",
    "tab\tnew\nline\r",
    "the of and",
    "<script>alert(1)</script>",
    "{{ 7*7 }} {% debug %}",
    "a" * 3000 + "*",
    "transf* " * 50,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_any_input_returns_a_page(client, query):
    make_paper(title="Diffusion transformers")
    # Encoded by hand: surrogates reach a server as invalid UTF-8 bytes, never as text.
    raw = quote(query.encode("utf-8", "surrogatepass"))
    response = client.get(f"{URL}?q={raw}&page={raw[:50]}")
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_invalid_utf8_bytes_return_a_page(client):
    assert client.get(f"{URL}?q=%ff%fe%ED%A0%80diffusion").status_code == 200


def test_long_queries_are_cut():
    assert len(clean_query("word " * 5000)) <= MAX_QUERY_LENGTH


def test_cleaning_drops_nul_bytes_surrogates_and_controls():
    assert clean_query("a\x00b\ud800c\x07d") == "a bc d"


def test_broad_queries_rank_only_the_most_upvoted_matches():
    from apps.papers.search import build_search_query, ranked_paper_ids

    low = make_paper(title="Broad topic", abstract="Broad topic again, broad.", upvotes=1)
    mid = make_paper(title="Something", abstract="A broad idea.", upvotes=5)
    top = make_paper(title="Broad", abstract="Other words.", upvotes=9)
    query = build_search_query("broad ")
    assert ranked_paper_ids(query) == [low.pk, top.pk, mid.pk]
    assert ranked_paper_ids(query, limit=2) == [top.pk, mid.pk]


def test_the_most_upvoted_matches_come_from_the_popular_papers_or_from_all():
    from apps.papers.models import POPULAR_UPVOTES
    from apps.papers.search import build_search_query, ranked_paper_ids

    popular = [
        make_paper(title="Broad", upvotes=POPULAR_UPVOTES + i, arxiv_id=f"2401.0000{i}")
        for i in range(2)
    ]
    other = make_paper(title="Broad", upvotes=POPULAR_UPVOTES - 1, arxiv_id="2401.00009")
    make_paper(title="Narrow", upvotes=POPULAR_UPVOTES + 5, arxiv_id="2401.00010")
    query = build_search_query("broad ")
    # Enough popular matches: those (the index of the popular papers), else every match.
    assert set(ranked_paper_ids(query, limit=2)) == {paper.pk for paper in popular}
    assert set(ranked_paper_ids(query, limit=3)) == {paper.pk for paper in [*popular, other]}


def test_no_match_says_so(client):
    make_paper(title="Diffusion transformers")
    html = client.get(URL, {"q": "quantum gravity "}).content.decode()
    assert "No papers match" in html
    assert "No searchable words" not in html


def test_stop_words_only_says_there_is_nothing_to_search(client):
    html = client.get(URL, {"q": "!!!"}).content.decode()
    assert "No searchable words" in html
