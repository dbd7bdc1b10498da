import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.selectors import PAGE_SIZE, REPLIES_PER_THREAD
from apps.comments.services import COMMENT_RATE, comment_create
from tests.factories import make_paper, make_user

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def paper():
    return make_paper(arxiv_id="2410.09692")


@pytest.fixture
def author(client):
    user = make_user("ada")
    client.force_login(user)
    return user


def post_comment(client, paper, body, parent=None, htmx=True):
    data = {"body": body} | ({"parent": parent.pk} if parent else {})
    return client.post(f"/papers/{paper.arxiv_id}/comments", data, **(HTMX if htmx else {}))


def test_htmx_post_returns_the_new_comment_and_a_fresh_form(client, paper, author):
    response = post_comment(client, paper, "Euler: $e^{i\\pi}+1=0$")

    assert response.status_code == 200
    html = response.content.decode()
    comment = Comment.objects.get()
    assert f'<li class="comment" id="c-{comment.pk}"' in html
    assert '<span class="math math-inline">$e^{i\\pi}+1=0$</span>' in html
    assert 'id="comment-form"' in html
    assert 'hx-swap-oob="true"' in html
    assert "<html" not in html
    assert '<span id="discussion-count" class="muted" hx-swap-oob="true">(1)</span>' in html
    paper.refresh_from_db()
    assert paper.comments_count == 1


def test_htmx_form_errors_come_back_inline_with_422(client, paper, author):
    response = post_comment(client, paper, "x" * 10_001)

    assert response.status_code == 422
    assert response["HX-Retarget"] == "#comment-form"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert "at most 10,000 characters; this one has 10,001" in html
    assert 'aria-invalid="true"' in html
    assert not Comment.objects.exists()


def test_plain_post_redirects_to_the_comment(client, paper, author):
    response = post_comment(client, paper, "no js here", htmx=False)

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/papers/2410.09692#comment-{comment.pk}"
    page = client.get("/papers/2410.09692").content.decode()
    assert "no js here" in page


def test_plain_post_with_errors_shows_the_form_page(client, paper, author):
    response = post_comment(client, paper, "   ", htmx=False)

    assert response.status_code == 422
    assert "Write something before posting." in response.content.decode()


def test_anonymous_post_is_sent_to_login(client, paper):
    response = post_comment(client, paper, "hello", htmx=False)

    assert response.status_code == 302
    assert "next=%2Fpapers%2F2410.09692%23discussion" in response["Location"]
    assert not Comment.objects.exists()


def test_csrf_is_required(paper):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user())
    assert strict.post("/papers/2410.09692/comments", {"body": "x"}, **HTMX).status_code == 403


def test_reply_form_and_reply_in_place(client, paper, author):
    parent = comment_create(author=make_user("alan"), paper=paper, body="parent")

    form = client.get(f"/comments/{parent.pk}/reply", **HTMX).content.decode()
    assert f'id="reply-form-{parent.pk}"' in form
    assert f'hx-target="#children-{parent.pk}"' in form
    assert f'name="parent" value="{parent.pk}"' in form

    response = post_comment(client, paper, "@alan agreed", parent=parent)

    html = response.content.decode()
    reply = Comment.objects.get(parent=parent)
    assert reply.depth == 1
    assert f'id="c-{reply.pk}"' in html
    assert f'<div id="reply-slot-{parent.pk}" class="reply-slot" hx-swap-oob="true"></div>' in html
    assert 'href="/users/alan"' in html


def test_reply_page_without_js(client, paper, author):
    parent = comment_create(author=make_user(), paper=paper, body="parent *text*")

    response = client.get(f"/comments/{parent.pk}/reply")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>text</em>" in html
    assert f'name="parent" value="{parent.pk}"' in html


def test_reply_to_a_comment_of_another_paper_is_an_inline_error(client, paper, author):
    elsewhere = comment_create(author=make_user(), paper=make_paper(), body="elsewhere")

    response = post_comment(client, paper, "reply", parent=elsewhere)

    assert response.status_code == 422
    assert "no longer exists" in response.content.decode()


def test_edit_in_place(client, paper, author):
    comment = comment_create(author=author, paper=paper, body="typo")

    form = client.get(f"/comments/{comment.pk}/edit", **HTMX)
    assert form.status_code == 200
    assert "typo</textarea>" in form.content.decode()

    response = client.post(f"/comments/{comment.pk}/edit", {"body": "fixed"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<article id="comment-{comment.pk}"')
    assert "<p>fixed</p>" in html
    assert ">edited</span>" in html


def test_edit_after_window_is_refused_with_403(client, paper, author):
    comment = comment_create(author=author, paper=paper, body="old")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )

    assert client.get(f"/comments/{comment.pk}/edit", **HTMX).status_code == 403
    response = client.post(f"/comments/{comment.pk}/edit", {"body": "new"}, **HTMX)
    assert response.status_code == 403
    assert "first 15 minutes" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "old"


def test_edit_link_only_for_the_author_within_the_window(client, paper, author):
    mine = comment_create(author=author, paper=paper, body="mine")
    theirs = comment_create(author=make_user(), paper=paper, body="theirs")

    html = client.get("/papers/2410.09692").content.decode()

    assert f'href="/comments/{mine.pk}/edit"' in html
    assert f'href="/comments/{theirs.pk}/edit"' not in html
    assert f'action="/comments/{theirs.pk}/delete"' not in html


def test_delete_in_place_removes_or_leaves_placeholder(client, paper, author):
    lonely = comment_create(author=author, paper=paper, body="lonely")
    parent = comment_create(author=author, paper=paper, body="parent")
    comment_create(author=make_user(), paper=paper, body="reply", parent=parent)

    removed = client.post(f"/comments/{lonely.pk}/delete", **HTMX)
    kept = client.post(f"/comments/{parent.pk}/delete", **HTMX)

    assert removed["HX-Retarget"] == f"#c-{lonely.pk}"
    assert removed["HX-Reswap"] == "delete"
    assert "[deleted]" in kept.content.decode()
    assert "parent" not in kept.content.decode().split("comment-meta")[1]
    assert client.post(f"/comments/{parent.pk}/delete").status_code in {302, 403}
    page = client.get("/papers/2410.09692").content.decode()
    assert "[deleted]" in page
    assert "reply" in page


def test_cannot_delete_someone_elses_comment(client, paper, author):
    theirs = comment_create(author=make_user(), paper=paper, body="theirs")

    response = client.post(f"/comments/{theirs.pk}/delete", **HTMX)
    assert response.status_code == 403
    assert response["HX-Reswap"] == "none"  # the comment stays on the page as it was
    assert "Only the author" in response.content.decode()
    assert Comment.objects.filter(pk=theirs.pk).exists()


def test_comment_vote_in_place_and_without_js(client, paper, author):
    comment = comment_create(author=make_user(), paper=paper, body="good point")

    html = client.post(f"/comments/{comment.pk}/vote", **HTMX).content.decode()
    assert 'class="comment-vote is-voted"' in html
    assert '<span class="vote-count">1</span>' in html

    response = client.post(f"/comments/{comment.pk}/vote", {"next": "/papers/2410.09692"})
    assert response["Location"] == "/papers/2410.09692"
    comment.refresh_from_db()
    assert comment.upvotes_count == 0


def test_comment_rate_limit_gives_429_with_a_message(client, paper, author):
    for index in range(COMMENT_RATE.limit):
        assert post_comment(client, paper, f"c{index}").status_code == 200

    response = post_comment(client, paper, "one too many")

    assert response.status_code == 429
    assert "commenting too fast" in response.content.decode()
    assert post_comment(client, paper, "again", htmx=False).status_code == 429


def test_live_preview_renders_sanitised_markdown(client, author):
    response = client.post("/comments/preview", {"body": "**b** $x$ <script>x</script>"}, **HTMX)

    html = response.content.decode()
    assert "<strong>b</strong>" in html
    assert '<span class="math math-inline">$x$</span>' in html
    assert "<script" not in html
    too_long = client.post("/comments/preview", {"body": "x" * 10_001}, **HTMX)
    assert "at most 10,000" in too_long.content.decode()


def test_sort_switch_returns_the_thread_partial(client, paper):
    comment_create(author=make_user(), paper=paper, body="first")

    response = client.get("/papers/2410.09692/comments?sort=new", **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="comment-thread">')
    assert 'aria-current="true">Newest' in html
    assert client.get("/papers/2410.09692/comments?sort=new")["Location"] == (
        "/papers/2410.09692?sort=new#discussion"
    )


def test_permalink_shows_the_comment_and_its_replies(client, paper):
    parent = comment_create(author=make_user(), paper=paper, body="parent")
    reply = comment_create(author=make_user(), paper=paper, body="the reply", parent=parent)

    html = client.get(f"/papers/2410.09692/comments/{reply.pk}").content.decode()

    assert "the reply" in html
    assert f"/papers/2410.09692/comments/{parent.pk}" in html
    assert client.get(f"/papers/2410.09692/comments/{reply.pk + 100}").status_code == 404
    other = make_paper()
    assert client.get(f"/papers/{other.arxiv_id}/comments/{reply.pk}").status_code == 404


def _bulk_comments(paper, users, count):
    """Rows straight in the table: the page under test only reads them."""
    created = []
    for index in range(count):
        parent = created[index // 3] if index >= 3 and index % 2 else None
        created.append(
            Comment.objects.create(
                paper=paper,
                author=users[index % len(users)],
                parent=parent,
                depth=parent.depth + 1 if parent else 0,
                body=f"comment {index}",
                body_html=f"<p>comment {index} <span class='math math-inline'>$x$</span></p>",
                upvotes_count=index % 7,
            )
        )
    return created


def test_paper_page_with_500_comments_renders_with_constant_queries(client, paper, author):
    users = [make_user() for _ in range(10)]

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/papers/2410.09692")
        assert response.status_code == 200
        return len(captured), response.content.decode()

    _bulk_comments(paper, users, 5)
    page_queries()  # warms the similar-papers cache, so both counts are the steady state
    few, _ = page_queries()
    _bulk_comments(paper, users, 495)
    many, html = page_queries()

    assert many == few
    # One page of top-level comments with their first replies (tests/comments/test_pages.py).
    assert PAGE_SIZE < html.count('class="comment"') <= PAGE_SIZE * (1 + REPLIES_PER_THREAD)
    assert "More comments" in html
    assert many <= 15


def test_preview_is_rate_limited(client, author):
    from apps.comments.views import PREVIEW_RATE

    for _ in range(PREVIEW_RATE.limit):
        client.post("/comments/preview", {"body": "x"}, **HTMX)

    response = client.post("/comments/preview", {"body": "x"}, **HTMX)

    assert response.status_code == 429
    assert "typing very fast" in response.content.decode()


def test_profile_selector_lists_visible_comments_newest_first(paper):
    from apps.comments.selectors import comments_by_user
    from apps.comments.services import comment_delete

    user = make_user()
    first = comment_create(author=user, paper=paper, body="first")
    second = comment_create(author=user, paper=paper, body="second")
    gone = comment_create(author=user, paper=paper, body="gone")
    comment_delete(comment=gone, user=user)

    assert list(comments_by_user(user=user)) == [second, first]


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/papers/2410.09692/comments", {"body": "x", "parent": "abc"}),
        ("/papers/2410.09692/comments", {"body": "x", "parent": "99999999999999999999"}),
        ("/papers/2410.09692/comments", {"parent": "1"}),
        ("/papers/2410.09692/comments", {"body": "\x00"}),
        ("/comments/999999/edit", {"body": "x"}),
        ("/comments/999999/delete", {}),
        ("/comments/999999/vote", {}),
        ("/papers/2410.00000/comments", {"body": "x"}),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(client, paper, author, path, data):
    for headers in ({}, HTMX):
        response = client.post(path, data, **headers)
        assert 400 <= response.status_code < 500, response.status_code
    assert not Comment.objects.exists()


def test_cancel_reply_and_edit_in_place(client, paper, author):
    comment = comment_create(author=author, paper=paper, body="text")

    assert client.get(f"/comments/{comment.pk}/reply?cancel=1", **HTMX).content == b""
    html = client.get(f"/comments/{comment.pk}/edit?cancel=1", **HTMX).content.decode()
    assert html.lstrip().startswith(f'<article id="comment-{comment.pk}"')
    assert "<p>text</p>" in html


def test_delete_sends_the_new_discussion_count_out_of_band(client, paper, author):
    lonely = comment_create(author=author, paper=paper, body="lonely")
    parent = comment_create(author=author, paper=paper, body="parent")
    comment_create(author=make_user(), paper=paper, body="reply", parent=parent)

    removed = client.post(f"/comments/{lonely.pk}/delete", **HTMX)
    count = '<span id="discussion-count" class="muted" hx-swap-oob="true">({})</span>'
    assert removed["HX-Reswap"] == "delete"  # the comment goes, the count is swapped out of band
    assert removed.content.decode().strip() == count.format(2)

    kept = client.post(f"/comments/{parent.pk}/delete", **HTMX)
    html = kept.content.decode()
    assert "[deleted]" in html
    assert count.format(1) in html  # "[deleted]" placeholders are not counted
    paper.refresh_from_db()
    assert paper.comments_count == 1
