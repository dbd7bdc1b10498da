"""Cards rendered once for all readers ({% paper_cards %}): each reader still gets their own
vote marks, CSRF token and return address, and a changed paper gets a new card."""

import datetime as dt
import re

import pytest
from django.test import Client

from apps.votes.services import vote_toggle
from tests.factories import make_entry, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache_on")]

DAY = dt.date(2026, 11, 26)
DAY_URL = "/papers/date/2026-11-26"


@pytest.fixture
def papers():
    return [make_entry(day=DAY, title=f"Paper number {n}").paper for n in range(3)]


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _voted_titles(html: str) -> set[str]:
    cards = html.split('<article class="paper-card"')[1:]
    return {
        re.search(r"Paper number \d", card).group(0)
        for card in cards
        if 'class="vote-form is-voted"' in card
    }


def test_each_reader_gets_their_own_vote_marks(papers, django_capture_on_commit_callbacks):
    ada, alan = make_user("ada_reader"), make_user("alan_reader")
    with django_capture_on_commit_callbacks(execute=True):
        vote_toggle(user=ada, item=papers[1])
        vote_toggle(user=alan, item=papers[2])
    ada_client, alan_client = _logged_in(ada), _logged_in(alan)
    for _ in range(2):  # rendered, then from the cache
        ada_page = ada_client.get(f"{DAY_URL}?p=1").content.decode()
        alan_page = alan_client.get(f"{DAY_URL}?p=1").content.decode()
        assert _voted_titles(ada_page) == {"Paper number 1"}
        assert _voted_titles(alan_page) == {"Paper number 2"}
        for page in (ada_page, alan_page):
            assert "csrf-token-" not in page
            assert page.count('name="next" value="/papers/date/2026-11-26?p=1"') == 3


def test_the_token_in_a_cached_card_is_the_readers_own(papers):
    _logged_in(make_user("first")).get(DAY_URL)  # the cards are rendered for this one
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(make_user("second"))
    page = reader.get(DAY_URL).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    vote = reader.post(f"/papers/{papers[0].arxiv_id}/vote", {"csrfmiddlewaretoken": tokens.pop()})
    assert vote.status_code == 302


def test_a_visitor_gets_log_in_links_back_to_the_page(client, papers):
    page = client.get(f"{DAY_URL}?p=1").content.decode()
    assert page.count("/accounts/login/?next=%2Fpapers%2Fdate%2F2026-11-26%3Fp%3D1") == 3
    assert "next-url-" not in page
    assert "csrfmiddlewaretoken" not in page


def test_a_vote_gives_the_card_a_new_count_for_everyone(papers, django_capture_on_commit_callbacks):
    reader = _logged_in(make_user("reader"))
    reader.get(DAY_URL)
    with django_capture_on_commit_callbacks(execute=True):
        vote_toggle(user=make_user(), item=papers[0])
    page = reader.get(DAY_URL).content.decode()
    card = page.split(f'id="paper-{papers[0].arxiv_id}"')[1].split("</article>")[0]
    assert '<span class="vote-count">1</span>' in card


def test_the_second_reader_of_a_list_renders_no_card(papers, django_assert_max_num_queries):
    _logged_in(make_user("first")).get(DAY_URL)
    second = _logged_in(make_user("second"))
    # session, user, vote marks, unread notifications, digest subscription: no list queries.
    with django_assert_max_num_queries(5):
        response = second.get(DAY_URL)
    assert response.content.decode().count('<article class="paper-card"') == 3


def test_a_list_kept_from_before_a_vote_still_marks_it(papers):
    """Within the staleness window a list may predate the reader's vote: their card is
    rendered as it is now, with the mark."""
    _logged_in(make_user("first")).get(DAY_URL)
    ada = make_user("ada_voter")
    vote_toggle(user=ada, item=papers[0])  # in the test's transaction: the list is not renewed
    page = _logged_in(ada).get(DAY_URL).content.decode()
    assert _voted_titles(page) == {"Paper number 0"}
