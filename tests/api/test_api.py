import datetime as dt
from urllib.parse import quote

import pytest
from django.urls import reverse
from huggingface_hub.errors import HfHubHTTPError

from apps.papers.models import Paper
from tests.factories import make_entry, make_paper, make_user

LIVE = pytest.mark.django_db(transaction=True)
DAY = dt.date(2025, 2, 14)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _ids(papers) -> list[str]:
    return [paper.id for paper in papers]


@LIVE
def test_list_daily_papers_for_a_date_gives_full_paper_info(hf_api):
    ada = make_user("ada", display_name="Ada L.")
    entry = make_entry(
        day=DAY,
        submitted_by=ada,
        submitted_at=_at(DAY, 9),
        arxiv_id="2502.00001",
        title="Sparse attention",
        abstract="We make attention sparse.",
        authors=["Grace Hopper", "Alan Turing"],
        upvotes=7,
    )
    Paper.objects.filter(pk=entry.paper.pk).update(
        comments_count=3, github_repo="https://github.com/x/y", project_page="https://x.org"
    )
    make_entry(day=DAY + dt.timedelta(days=1), arxiv_id="2502.00002")

    [paper] = hf_api.list_daily_papers(date="2025-02-14")

    assert paper.id == "2502.00001"
    assert paper.title == "Sparse attention"
    assert paper.summary == "We make attention sparse."
    assert [a.name for a in paper.authors] == ["Grace Hopper", "Alan Turing"]
    assert paper.upvotes == 7
    assert paper.comments == 3
    assert paper.published_at == dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
    assert paper.submitted_at == _at(DAY, 9)
    assert paper.submitted_by.username == "ada"
    assert paper.submitted_by.fullname == "Ada L."
    assert paper.submitted_by.avatar_url.endswith("/users/ada/avatar.svg")
    assert paper.submitted_by.profileUrl.endswith("/users/ada")
    assert paper.github_repo == "https://github.com/x/y"
    assert paper.project_page == "https://x.org"


@LIVE
def test_claimed_authors_carry_their_user(hf_api):
    from apps.papers.services import author_claim_approve, author_claim_create

    grace = make_user("grace", display_name="Grace H.")
    entry = make_entry(day=DAY, arxiv_id="2502.00001", authors=["Alan Turing", "Grace Hopper"])
    claim = author_claim_create(user=grace, authorship=entry.paper.authorships.get(position=1))
    author_claim_approve(claim=claim, moderator=make_user("mod", is_staff=True))

    [listed] = hf_api.list_daily_papers(date="2025-02-14")
    info = hf_api.paper_info("2502.00001")

    for paper in (listed, info):
        assert paper.authors[0].user is None
        assert paper.authors[1].user.username == "grace"
        assert paper.authors[1].user.fullname == "Grace H."


@LIVE
def test_daily_papers_never_contain_emails(client):
    ada = make_user("ada")
    make_entry(day=DAY, submitted_by=ada)
    body = client.get(reverse("api:daily_papers")).content.decode()
    assert "ada" in body
    assert "@example.org" not in body
    assert "email" not in body.lower()


@LIVE
def test_list_daily_papers_by_week_and_month(hf_api):
    make_entry(day=dt.date(2025, 2, 10), arxiv_id="2502.00001")  # Monday of W07
    make_entry(day=dt.date(2025, 2, 16), arxiv_id="2502.00002")  # Sunday of W07
    make_entry(day=dt.date(2025, 2, 17), arxiv_id="2502.00003")  # W08
    make_entry(day=dt.date(2025, 3, 1), arxiv_id="2503.00001")
    assert set(_ids(hf_api.list_daily_papers(week="2025-W07"))) == {"2502.00001", "2502.00002"}
    assert set(_ids(hf_api.list_daily_papers(month="2025-02"))) == {
        "2502.00001",
        "2502.00002",
        "2502.00003",
    }
    assert _ids(hf_api.list_daily_papers(month="2025-04")) == []


@LIVE
def test_list_daily_papers_sorts_by_submission_or_trending_and_pages(hf_api):
    for i, score in enumerate([5.0, 1.0, 9.0]):
        entry = make_entry(day=DAY, arxiv_id=f"2502.0000{i}", submitted_at=_at(DAY, 8 + i))
        Paper.objects.filter(pk=entry.paper.pk).update(trending_score=score)
    assert _ids(hf_api.list_daily_papers(sort="publishedAt")) == [
        "2502.00002",
        "2502.00001",
        "2502.00000",
    ]
    assert _ids(hf_api.list_daily_papers(sort="trending")) == [
        "2502.00002",
        "2502.00000",
        "2502.00001",
    ]
    assert _ids(hf_api.list_daily_papers(limit=2, p=0)) == ["2502.00002", "2502.00001"]
    assert _ids(hf_api.list_daily_papers(limit=2, p=1)) == ["2502.00000"]
    assert _ids(hf_api.list_daily_papers(limit=2, p=5)) == []


@pytest.mark.django_db
def test_a_period_ranks_its_own_papers_by_trending_score_and_pages(client):
    # A period's entries are ranked apart (selectors.DailyPapers): hotter papers of other
    # periods and ties (by submission, then id) do not disturb its order or its pages.
    scores = {"2502.00001": 3.0, "2502.00002": 7.0, "2502.00003": 3.0, "2503.00001": 9.0}
    for hour, (arxiv_id, score) in enumerate(scores.items(), start=8):
        day = dt.date(2025, 3, 3) if arxiv_id.startswith("2503") else DAY
        entry = make_entry(day=day, arxiv_id=arxiv_id, submitted_at=_at(day, hour))
        Paper.objects.filter(pk=entry.paper.pk).update(trending_score=score)

    def listed(**params) -> list[str]:
        url = reverse("api:daily_papers")
        return [item["paper"]["id"] for item in client.get(url, params).json()]

    ranked = ["2502.00002", "2502.00003", "2502.00001"]
    assert listed(month="2025-02", sort="trending") == ranked
    assert listed(month="2025-02", sort="trending", limit=2, p=1) == ranked[2:]
    assert listed(week="2025-W07") == ["2502.00003", "2502.00002", "2502.00001"]


@LIVE
def test_list_daily_papers_by_submitter_ignores_case(hf_api):
    ada = make_user("Ada")
    make_entry(day=DAY, submitted_by=ada, arxiv_id="2502.00001")
    make_entry(day=DAY, submitted_by=make_user("bob"), arxiv_id="2502.00002")
    make_entry(day=DAY, arxiv_id="2502.00003")
    assert _ids(hf_api.list_daily_papers(submitter="ada")) == ["2502.00001"]
    assert _ids(hf_api.list_daily_papers(submitter="nobody")) == []


@LIVE
def test_paper_info_by_plain_and_versioned_id(hf_api):
    make_paper(arxiv_id="2410.09692", title="A paper", authors=["Ada Lovelace"])
    paper = hf_api.paper_info("2410.09692")
    assert paper.id == "2410.09692"
    assert paper.title == "A paper"
    assert [a.name for a in paper.authors] == ["Ada Lovelace"]
    assert paper.submitted_by is None
    assert hf_api.paper_info("2410.09692v3").id == "2410.09692"


@LIVE
def test_paper_info_for_an_old_style_id(hf_api):
    make_paper(arxiv_id="hep-th/9901001")
    assert hf_api.paper_info("hep-th/9901001").id == "hep-th/9901001"


@LIVE
def test_paper_info_for_a_missing_paper_is_a_404(hf_api):
    with pytest.raises(HfHubHTTPError) as excinfo:
        hf_api.paper_info("2410.99999")
    assert excinfo.value.response.status_code == 404
    assert "Paper not found" in str(excinfo.value)


@LIVE
def test_read_paper_returns_the_markdown_page(hf_api):
    make_paper(arxiv_id="2410.09692", title="A paper", abstract="We prove $x^2 > 0$.")
    markdown = hf_api.read_paper("2410.09692")
    assert markdown.startswith("# A paper")
    assert "We prove $x^2 > 0$." in markdown
    with pytest.raises(HfHubHTTPError) as excinfo:
        hf_api.read_paper("2410.99999")
    assert excinfo.value.response.status_code == 404


@LIVE
def test_list_papers_searches_and_ranks(hf_api):
    make_paper(arxiv_id="2401.00001", title="Robots", abstract="Some diffusion inside.")
    make_paper(arxiv_id="2401.00002", title="Diffusion models", abstract="Images.")
    make_paper(arxiv_id="2401.00003", title="Graphs", abstract="Nothing related.")
    assert _ids(hf_api.list_papers(query="diffusion")) == ["2401.00002", "2401.00001"]
    assert _ids(hf_api.list_papers(query="diffusion", limit=1)) == ["2401.00002"]
    assert _ids(hf_api.list_papers(query="https://arxiv.org/abs/2401.00003v2")) == ["2401.00003"]
    assert _ids(hf_api.list_papers(query="' OR 1=1 --\x00")) == []
    assert _ids(hf_api.list_papers()) == []


@LIVE
def test_bad_parameters_raise_a_400_with_the_message(hf_api):
    cases = [
        ({"date": "2025-02-30"}, "'date' is not a valid date"),
        ({"week": "2025-W54"}, "'week' is not a valid week"),
        ({"month": "2025-13"}, "'month' is not a valid month"),
        ({"date": "2025-02-14", "week": "2025-W07"}, "at most one"),
        ({"limit": 0}, "'limit'"),
        ({"limit": 1000}, "'limit'"),
        ({"p": -1}, "'p'"),
        ({"sort": "upvotes"}, "'sort'"),
    ]
    for params, message in cases:
        with pytest.raises(HfHubHTTPError) as excinfo:
            list(hf_api.list_daily_papers(**params))
        assert excinfo.value.response.status_code == 400, params
        assert message in str(excinfo.value), params


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "abc"}, 400),
        ({"p": "1e3"}, 400),
        ({"limit": "9" * 50}, 400),
        ({"date": "x" * 5000}, 400),
        ({"date": "2025-02-14\x00"}, 400),
        ({"submitter": "x" * 500}, 400),
        ({"submitter": "' OR 1=1 --"}, 400),
        ({"submitter": "no.such-user"}, 200),
        ({"submitter": "ada\x00"}, 400),
        ({"submitter": "\ud800"}, 400),
        ({"sort": "\x00"}, 400),
    ],
)
def test_hostile_parameters_get_json_answers(client, params, status):
    # Encoded by hand: surrogates reach a server as invalid UTF-8 bytes, never as text.
    query = "&".join(
        f"{name}={quote(str(value).encode('utf-8', 'surrogatepass'))}"
        for name, value in params.items()
    )
    response = client.get(f"{reverse('api:daily_papers')}?{query}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    if status == 400:
        assert "error" in response.json()


@pytest.mark.django_db
def test_unknown_api_path_and_bad_id_are_json_404s(client):
    for path in ["/api/nothing", "/api/papers/not-an-id", "/api/papers/2410.99999"]:
        response = client.get(path)
        assert response.status_code == 404
        assert "error" in response.json()


@pytest.mark.django_db
def test_api_answers_any_origin(client):
    response = client.get(reverse("api:daily_papers"), headers={"origin": "https://x.org"})
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
def test_api_is_read_only(client):
    assert client.post(reverse("api:daily_papers")).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The papers, then the approved author claims of the listed papers.
        (reverse("api:daily_papers"), 2),
        (reverse("api:daily_papers") + "?sort=trending&month=2025-02&submitter=ada", 2),
        # Ranked ids inside a savepoint with a statement timeout (4: among the popular papers;
        # 6: none has the upvotes, so among all papers too), the papers, the claims.
        (reverse("api:search") + "?q=paper", 8),
    ],
)
def test_list_query_counts_do_not_grow_with_the_number_of_papers(
    client, django_assert_num_queries, url, queries
):
    ada = make_user("ada")
    for i in range(2):
        make_entry(day=DAY, submitted_by=ada, title=f"Paper {i}", authors=["A", f"B{i}"])
    with django_assert_num_queries(queries):
        assert len(client.get(url).json()) == 2
    for i in range(2, 12):
        make_entry(day=DAY, submitted_by=ada, title=f"Paper {i}", authors=["A", f"B{i}", "C"])
    with django_assert_num_queries(queries):
        assert len(client.get(url).json()) == 12


@pytest.mark.django_db
def test_paper_query_count(client, django_assert_num_queries):
    make_entry(day=DAY, arxiv_id="2502.00001", submitted_by=make_user())
    with django_assert_num_queries(2):
        client.get(reverse("api:paper", args=["2502.00001"]))
