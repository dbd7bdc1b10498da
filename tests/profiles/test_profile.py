"""Public profiles, their tabs, and the profile settings page."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.papers.models import AuthorClaim
from tests.factories import make_entry, make_paper, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(db):
    return make_user(
        "ada",
        display_name="Ada Lovelace",
        bio="Analytical engines.",
        homepage_url="https://ada.example.org",
        orcid_url="https://orcid.org/0000-0002-1825-0097",
    )


def submit_papers(user, count, start=0):
    for number in range(start, start + count):
        make_entry(
            day=dt.date(2024, 1, 1) + dt.timedelta(days=number),
            submitted_by=user,
            title=f"Paper number {number}",
            authors=[f"Author {number}", "Shared Author"],
        )


def test_profile_shows_name_avatar_bio_and_links(client, owner):
    response = client.get("/users/ada")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in html
    assert "@ada" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="avatar"' in html
    assert ">AL</text>" in html
    assert "Analytical engines." in html
    assert 'href="https://ada.example.org"' in html
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in html


def test_profile_handle_is_case_insensitive_and_redirects_to_canonical(client, owner):
    response = client.get("/users/ADA")
    assert response.status_code == 301
    assert response["Location"] == "/users/ada/submitted"


def test_unknown_profile_and_unknown_tab_are_404(client, owner):
    assert client.get("/users/nobody").status_code == 404
    assert client.get("/users/ada/secrets").status_code == 404


def test_inactive_user_profile_is_404(client, owner):
    owner.is_active = False
    owner.save()
    assert client.get("/users/ada").status_code == 404


def test_submitted_tab_lists_the_users_papers_newest_first(client, owner):
    submit_papers(owner, 3)
    submit_papers(make_user("bob"), 1, start=10)
    html = client.get("/users/ada").content.decode()
    assert (
        html.index("Paper number 2") < html.index("Paper number 1") < html.index("Paper number 0")
    )
    assert "Paper number 10" not in html


@pytest.mark.parametrize(
    ("tab", "empty_text"),
    [
        ("submitted", "No submitted papers yet."),
        ("upvoted", "No upvoted papers yet."),
        ("authored", "No authored papers yet."),
        ("comments", "No comments yet."),
    ],
)
def test_each_tab_has_an_empty_state(client, owner, tab, empty_text):
    response = client.get(f"/users/ada/{tab}")
    assert response.status_code == 200
    assert empty_text in response.content.decode()


def test_authored_tab_lists_papers_with_approved_claims_only(client, owner):
    approved = make_paper(title="Approved claim paper")
    pending = make_paper(title="Pending claim paper")
    AuthorClaim.objects.create(
        user=owner,
        authorship=approved.authorships.first(),
        status=AuthorClaim.Status.APPROVED,
        decided_at=dt.datetime(2024, 10, 2, tzinfo=dt.UTC),
    )
    AuthorClaim.objects.create(user=owner, authorship=pending.authorships.first())
    html = client.get("/users/ada/authored").content.decode()
    assert "Approved claim paper" in html
    assert "Pending claim paper" not in html


def test_tabs_switch_with_htmx_and_keep_working_links(client, owner):
    submit_papers(owner, 1)
    full = client.get("/users/ada").content.decode()
    assert 'href="/users/ada/authored"' in full
    assert 'hx-get="/users/ada/authored"' in full
    partial = client.get("/users/ada/submitted", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="profile-tabs">')
    assert "<html" not in html
    assert "Paper number 0" in html
    assert "HX-Request" in partial["Vary"]


def test_profile_pages_paginate(client, owner):
    submit_papers(owner, 25)
    first = client.get("/users/ada").content.decode()
    second = client.get("/users/ada/submitted?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert "Paper number 24" in first
    assert "Paper number 4<" not in first
    assert "Paper number 4<" in second
    assert client.get("/users/ada/submitted?page=zzz").status_code == 200


@pytest.mark.parametrize("tab", ["submitted", "authored"])
def test_profile_query_count_does_not_grow_with_papers(
    client, owner, tab, django_assert_num_queries
):
    def add(count, start):
        submit_papers(owner, count, start=start)
        for paper_entry in owner.daily_entries.select_related("paper")[start : start + count]:
            AuthorClaim.objects.create(
                user=owner,
                authorship=paper_entry.paper.authorships.first(),
                status=AuthorClaim.Status.APPROVED,
                decided_at=dt.datetime(2024, 10, 2, tzinfo=dt.UTC),
            )

    add(2, 0)
    # owner, the page of papers with their author names (one query), the paginator count
    with django_assert_num_queries(3) as few:
        client.get(f"/users/ada/{tab}")
    add(15, 2)
    with django_assert_num_queries(3) as many:
        html = client.get(f"/users/ada/{tab}").content.decode()
    assert html.count('class="paper-card"') == 17
    assert len(few.captured_queries) == len(many.captured_queries)


def test_logged_in_profile_query_count_is_constant(client, owner, django_assert_max_num_queries):
    submit_papers(owner, 12)
    client.force_login(owner)
    with django_assert_max_num_queries(8):  # + unread notifications, + own votes on the list
        response = client.get("/users/ada")
    assert response.status_code == 200
    assert "Edit profile" in response.content.decode()


def test_emails_never_appear_on_public_pages(client, owner):
    entry = make_entry(day=dt.date(2024, 10, 1), submitted_by=owner)
    AuthorClaim.objects.create(
        user=owner,
        authorship=entry.paper.authorships.first(),
        status=AuthorClaim.Status.APPROVED,
        decided_at=dt.datetime(2024, 10, 2, tzinfo=dt.UTC),
    )
    viewer = make_user("bob")
    client.force_login(viewer)
    for url in ["/", "/users/ada", "/users/ada/authored", entry.paper.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert owner.email not in html, url
        assert "ada@" not in html, url


def test_settings_page_requires_login(client):
    response = client.get(reverse("users:settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_settings_page_saves_profile_and_normalises_orcid(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("users:settings"),
        {
            "display_name": "Countess Lovelace",
            "bio": "Notes on the engine.",
            "homepage_url": "https://lovelace.example",
            "github_url": "https://github.com/ada",
            "scholar_url": "https://scholar.google.com/citations?user=abcDEF123",
            "orcid_url": "0000-0002-1825-0097",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.display_name == "Countess Lovelace"
    assert owner.github_url == "https://github.com/ada"
    assert owner.orcid_url == "https://orcid.org/0000-0002-1825-0097"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("homepage_url", "javascript:alert(1)", "Enter a valid URL"),
        ("homepage_url", "not a url", "Enter a valid URL"),
        ("github_url", "https://gitlab.com/ada", "GitHub profile"),
        ("scholar_url", "https://example.org/?user=1", "Google Scholar"),
        ("scholar_url", "https://scholar.google.evil.com/citations?user=1", "Google Scholar"),
        ("display_name", "Alan\nBcc: x@evil.com", "single line"),
        ("orcid_url", "0000-0002-1825-0098", "valid ORCID"),
        ("orcid_url", "1234", "valid ORCID"),
    ],
)
def test_settings_page_rejects_bad_links_with_a_clear_error(client, owner, field, value, message):
    client.force_login(owner)
    data = {"display_name": "Changed", "bio": ""} | {field: value}
    response = client.post(reverse("users:settings"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    owner.refresh_from_db()
    assert owner.display_name == "Ada Lovelace"
    # The header still shows the saved name, not the rejected input.
    assert "Changed" not in response.content.decode().split("<main")[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://scholar.google.com/citations?user=X1",
        "https://scholar.google.co.uk/citations?user=X1",
    ],
)
def test_settings_page_accepts_real_scholar_hosts(client, owner, url):
    client.force_login(owner)
    data = {"display_name": "Ada Lovelace", "bio": "", "scholar_url": url}
    assert client.post(reverse("users:settings"), data).status_code == 302
    owner.refresh_from_db()
    assert owner.scholar_url == url


def test_avatar_is_served_as_an_svg_image_that_cannot_run_anything(client, owner):
    response = client.get("/users/ada/avatar.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ">AL</text>" in svg
    assert client.get("/users/nobody/avatar.svg").status_code == 404
