"""Discussions in pages: the first view of a paper shows its best threads up to a bound, "More
comments", "N more replies" and "Continue this thread" load the rest (in place with htmx, as
pages of their own without), every comment is reachable exactly once, and the cost of a page
(queries, HTML) does not grow with the number of comments."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.selectors import (
    PAGE_SIZE,
    REPLIES_PER_THREAD,
    THREAD_DEPTH,
    comment_cursor,
    comment_thread,
    reply_thread,
)
from apps.comments.services import comment_delete
from apps.moderation import services as moderation
from tests.factories import make_paper, make_user
from tests.moderation.conftest import make_moderator

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PAPER = "2410.09692"
BASE = timezone.now() - dt.timedelta(days=2)
# A realistic comment: a few sentences of Markdown rendered, with some maths.
BODY_HTML = (
    "<p>Table 3 reports the ablation over the rank <span class='math math-inline'>$r$</span>; "
    "the gain over full fine-tuning shrinks for <span class='math math-inline'>$r \\ge 16$</span>"
    ". Did you try the same schedule on the larger models? The appendix only shows the 7B "
    "runs, and the learning rate seems tuned for them. It would also help to see the variance "
    "over seeds, since the differences in the main table are within a point.</p>"
)


@pytest.fixture(autouse=True)
def _fast_passwords(fast_password_hasher):
    """Accounts are made by the handful here; real hashing would dominate the tests' time."""


@pytest.fixture
def paper():
    return make_paper(arxiv_id=PAPER)


@pytest.fixture
def authors():
    return [make_user() for _ in range(5)]


def add(paper, author, parent=None, *, votes=0, minute=0, **fields) -> Comment:
    return Comment.objects.create(
        paper=paper,
        author=author,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        body="text",
        body_html=fields.pop("body_html", "<p>text</p>"),
        upvotes_count=votes,
        created_at=BASE + dt.timedelta(minutes=minute),
        **fields,
    )


def bulk_discussion(paper, authors, parents: list[int | None], *, seed: int = 0) -> list[Comment]:
    """One comment per entry of ``parents`` (the index of its parent, or None), written level
    by level with bulk_create as a bulk writer must: ``depth`` and ``root`` filled in."""
    rng = random.Random(seed)
    depth: list[int] = []
    for parent in parents:
        depth.append(0 if parent is None else depth[parent] + 1)
    created: list[Comment | None] = [None] * len(parents)
    for level in range(max(depth) + 1):
        indexes = [i for i, d in enumerate(depth) if d == level]
        rows = []
        for i in indexes:
            parent = created[parents[i]] if parents[i] is not None else None
            rows.append(
                Comment(
                    paper=paper,
                    author=authors[i % len(authors)],
                    parent=parent,
                    root_id=(parent.root_id or parent.pk) if parent else None,
                    depth=level,
                    body="text",
                    body_html=BODY_HTML,
                    upvotes_count=rng.choice([0, 0, 0, 1, 1, 2, 3, 5, 8, 20]),
                    created_at=BASE + dt.timedelta(seconds=rng.randint(0, 10_000)),
                )
            )
        for i, comment in zip(indexes, Comment.objects.bulk_create(rows), strict=True):
            created[i] = comment
    return created


def random_parents(count: int, rng: random.Random) -> list[int | None]:
    """A discussion's shape: many top-level comments, wide threads, long reply chains."""
    parents: list[int | None] = []
    for i in range(count):
        roll = rng.random()
        if i == 0 or roll < 0.3:
            parents.append(None)
        elif roll < 0.5:
            parents.append(i - 1)  # a reply to the one just before: chains
        elif roll < 0.65:
            parents.append(0)  # one very wide thread
        else:
            parents.append(rng.randrange(i))
    return parents


def shown_ids(nodes) -> list[int]:
    return [pk for node in nodes for pk in [node.comment.pk, *shown_ids(node.children)]]


def read_everything(paper, sort: str) -> tuple[list[int], dict[int | None, list[int]]]:
    """Follow every link as a reader would: "More comments", then each "N more replies" and
    "Continue this thread"; returns the comments in the order met and each one's replies in
    the order shown."""
    seen: list[int] = []
    replies: dict[int | None, list[int]] = defaultdict(list)

    def walk(nodes, parent_id):
        for node in nodes:
            seen.append(node.comment.pk)
            replies[parent_id].append(node.comment.pk)
            walk(node.children, node.comment.pk)
            if node.continued:
                assert not node.children
                assert node.more_replies == 0
                load(node.comment, depth=0, after="", expected=node.replies_count)
            elif node.more_replies:
                load(node.comment, node.depth + 1, node.more_cursor, node.more_replies)

    def load(comment, depth, after, expected):
        thread = reply_thread(comment=comment, sort=sort, after=after, depth=depth)
        assert len(thread.roots) == min(expected, PAGE_SIZE)
        assert thread.focus.more_replies == expected - len(thread.roots)
        walk(thread.roots, comment.pk)
        if thread.focus.more_replies:
            load(comment, depth, thread.focus.more_cursor, thread.focus.more_replies)

    after = ""
    while True:
        thread = comment_thread(paper=paper, sort=sort, after=after)
        walk(thread.roots, None)
        if not thread.next_cursor:
            return seen, replies
        after = thread.next_cursor


def in_order(comments: list[Comment], sort: str) -> list[int]:
    if sort == "new":
        ordered = sorted(comments, key=lambda c: (c.created_at, c.pk), reverse=True)
    else:
        ordered = sorted(comments, key=lambda c: (-c.upvotes_count, c.created_at, c.pk))
    return [comment.pk for comment in ordered]


# --- Selection and order -------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["best", "new"])
def test_every_comment_is_reached_once_in_order_by_following_the_links(paper, authors, sort):
    comments = bulk_discussion(paper, authors, random_parents(600, random.Random(7)), seed=7)

    seen, replies = read_everything(paper, sort)

    assert len(seen) == len(set(seen)) == len(comments)  # none twice, none lost
    by_parent: dict[int | None, list[Comment]] = defaultdict(list)
    for comment in comments:
        by_parent[comment.parent_id].append(comment)
    for parent_id, children in by_parent.items():
        assert replies[parent_id] == in_order(children, sort), parent_id


@pytest.mark.parametrize("sort", ["best", "new"])
def test_pages_of_top_level_comments_follow_the_sort_with_ties(paper, authors, sort):
    # Same votes and same minute for many: the id breaks the ties, across page boundaries too.
    roots = [
        add(paper, authors[0], votes=index % 3, minute=index % 4)
        for index in range(2 * PAGE_SIZE + 5)
    ]

    first = comment_thread(paper=paper, sort=sort)
    second = comment_thread(paper=paper, sort=sort, after=first.next_cursor)
    third = comment_thread(paper=paper, sort=sort, after=second.next_cursor)

    pages = [[node.comment.pk for node in page.roots] for page in (first, second, third)]
    assert [len(page) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 5]
    assert pages[0] + pages[1] + pages[2] == in_order(roots, sort)
    assert first.next_cursor == comment_cursor(Comment.objects.get(pk=pages[0][-1]), sort)
    assert third.next_cursor == ""
    assert second.after == first.next_cursor


def test_a_comment_posted_between_two_pages_neither_repeats_nor_hides_one(paper, authors):
    roots = [add(paper, authors[0], minute=index) for index in range(PAGE_SIZE + 3)]
    first = comment_thread(paper=paper, sort="new")

    add(paper, authors[1], minute=10_000)  # the newest, on top of page one from now on
    second = comment_thread(paper=paper, sort="new", after=first.next_cursor)

    shown = shown_ids(first.roots) + shown_ids(second.roots)
    assert shown == in_order(roots, "new")


def test_replies_are_chosen_level_by_level_best_first_within_the_cap(paper, authors):
    root = add(paper, authors[0], votes=5)
    direct = [
        add(paper, authors[1], root, votes=index, minute=index)
        for index in range(REPLIES_PER_THREAD - 2)
    ]
    # Grandchildren under the best reply: only those that fit in the thread's cap show.
    grandchildren = [add(paper, authors[2], direct[-1], minute=index) for index in range(5)]

    thread = comment_thread(paper=paper)

    node = thread.roots[0]
    assert [child.comment for child in node.children] == direct[::-1]
    assert node.more_replies == 0
    best = node.children[0]
    shown = REPLIES_PER_THREAD - len(direct)
    assert [child.comment for child in best.children] == grandchildren[:shown]
    assert best.more_replies == len(grandchildren) - shown
    assert best.more_cursor == comment_cursor(grandchildren[shown - 1], "best")
    assert best.replies_count == len(grandchildren)
    assert all(child.more_replies == 0 for child in node.children[1:])


def test_bad_cursors_give_the_first_page(paper, authors):
    add(paper, authors[0])
    first = [node.comment.pk for node in comment_thread(paper=paper).roots]

    for after in ["x", "1.2", "1.2.3.4", "-1.2.3", f"1.{10**30}.3", "1..2", "9" * 40]:
        thread = comment_thread(paper=paper, after=after)
        assert [node.comment.pk for node in thread.roots] == first
        assert thread.after == ""


# --- The paper page and its links ------------------------------------------------------------


def links(html: str, css_class: str) -> list[tuple[str, str]]:
    """(href, hx-get) of each link in an <li class="css_class">."""
    pattern = rf'<li class="{css_class}"><a href="([^"]+)" hx-get="([^"]+)"'
    return [
        (href.replace("&amp;", "&"), get.replace("&amp;", "&"))
        for href, get in re.findall(pattern, html)
    ]


def comment_ids_in(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li class="comment" id="c-(\d+)"', html)]


def test_more_comments_appends_the_next_page_with_htmx_and_is_a_link_without(
    client, paper, authors
):
    roots = [add(paper, authors[0], minute=index) for index in range(PAGE_SIZE + 3)]
    expected = in_order(roots, "new")

    page = client.get(f"/papers/{PAPER}?sort=new").content.decode()

    assert comment_ids_in(page) == expected[:PAGE_SIZE]
    [(href, hx_get)] = links(page, "more-comments")
    cursor = comment_cursor(Comment.objects.get(pk=expected[PAGE_SIZE - 1]), "new")
    assert href == f"/papers/{PAPER}?sort=new&after={cursor}#discussion"
    assert hx_get == f"/papers/{PAPER}/comments?sort=new&after={cursor}"

    fragment = client.get(hx_get, **HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "HX-Request" in fragment["Vary"]
    assert not fragment.cookies  # the same for every visitor: the shared cache may keep it
    assert "csrfmiddlewaretoken" not in html
    assert html.lstrip().startswith('<li class="comment"')
    assert "<html" not in html
    assert comment_ids_in(html) == expected[PAGE_SIZE:]
    assert not links(html, "more-comments")  # the last page

    plain = client.get(hx_get)
    assert plain.status_code == 302
    assert plain["Location"] == href
    second = client.get(href.split("#")[0]).content.decode()
    assert comment_ids_in(second) == expected[PAGE_SIZE:]
    assert "Back to the first ones" in second


def test_the_sort_switch_starts_again_from_the_first_page(client, paper, authors):
    for index in range(PAGE_SIZE + 1):
        add(paper, authors[0], votes=index % 5, minute=index)

    html = client.get(f"/papers/{PAPER}/comments?sort=best", **HTMX).content.decode()

    assert html.lstrip().startswith('<div id="comment-thread">')
    assert len(comment_ids_in(html)) == PAGE_SIZE
    [(href, _)] = links(html, "more-comments")
    assert "sort=best&after=" in href


def test_n_more_replies_loads_the_rest_in_place_with_htmx_and_the_permalink_without(
    client, paper, authors
):
    root = add(paper, authors[0])
    count = REPLIES_PER_THREAD + PAGE_SIZE + 3
    replies = [add(paper, authors[1], root, minute=index) for index in range(count)]
    expected = in_order(replies, "best")

    page = client.get(f"/papers/{PAPER}").content.decode()

    assert comment_ids_in(page) == [root.pk, *expected[:REPLIES_PER_THREAD]]
    [(href, hx_get)] = links(page, "more-replies")
    assert f">{len(replies) - REPLIES_PER_THREAD} more replies</a>" in page
    cursor = comment_cursor(Comment.objects.get(pk=expected[REPLIES_PER_THREAD - 1]), "best")
    assert href == f"/papers/{PAPER}/comments/{root.pk}?sort=best&after={cursor}"
    assert hx_get == f"/papers/{PAPER}/comments/{root.pk}/replies?sort=best&depth=1&after={cursor}"

    fragment = client.get(hx_get, **HTMX).content.decode()
    loaded = expected[REPLIES_PER_THREAD : REPLIES_PER_THREAD + PAGE_SIZE]
    assert comment_ids_in(fragment) == loaded
    assert 'data-depth="1"' in fragment
    [(_, next_get)] = links(fragment, "more-replies")
    assert f">{len(replies) - REPLIES_PER_THREAD - PAGE_SIZE} more replies</a>" in fragment
    last = client.get(next_get, **HTMX).content.decode()
    assert comment_ids_in(last) == expected[REPLIES_PER_THREAD + PAGE_SIZE :]
    assert not links(last, "more-replies")

    plain = client.get(hx_get)
    assert plain.status_code == 302
    assert plain["Location"] == href
    permalink = client.get(href).content.decode()
    assert comment_ids_in(permalink) == [root.pk, *loaded]
    assert "Back to the first ones" in permalink


def test_a_long_chain_ends_in_continue_this_thread_which_loads_in_place(client, paper, authors):
    chain = [add(paper, authors[0])]
    for index in range(THREAD_DEPTH + 3):
        chain.append(add(paper, authors[index % 2], chain[-1], minute=index))
    ids = [comment.pk for comment in chain]

    page = client.get(f"/papers/{PAPER}").content.decode()

    # The thread's first replies, then "1 more reply" at the end of the chain...
    assert comment_ids_in(page) == ids[: REPLIES_PER_THREAD + 1]
    [(_, more)] = links(page, "more-replies")
    fragment = client.get(more, **HTMX).content.decode()
    # ... down to THREAD_DEPTH levels, where "Continue this thread" starts again from level 0.
    assert comment_ids_in(fragment) == ids[REPLIES_PER_THREAD + 1 : THREAD_DEPTH]
    last_shown = chain[THREAD_DEPTH - 1]
    assert f'data-depth="{THREAD_DEPTH - 1}"' in fragment
    [(href, hx_get)] = links(fragment, "continue-thread")
    assert href == f"/papers/{PAPER}/comments/{last_shown.pk}"
    assert hx_get == f"/papers/{PAPER}/comments/{last_shown.pk}/replies?sort=best&depth=0"
    assert "Continue this thread (1 reply)" in fragment

    continued = client.get(hx_get, **HTMX).content.decode()
    assert comment_ids_in(continued) == ids[THREAD_DEPTH:]
    assert 'data-depth="0"' in continued
    permalink = client.get(href).content.decode()
    assert comment_ids_in(permalink) == ids[THREAD_DEPTH - 1 :]


def test_hidden_and_deleted_comments_keep_their_places_on_every_kind_of_page(
    client, paper, authors
):
    deleted = add(paper, authors[0], votes=9)
    reply = add(paper, authors[1], deleted)
    comment_delete(comment=deleted, user=authors[0])  # has a reply: stays as "[deleted]"
    hidden = add(paper, authors[2], votes=8)
    under_hidden = add(paper, authors[3], hidden)
    moderation.comment_hide(moderator=make_moderator("mod"), comment=hidden, reason="spam")
    for index in range(PAGE_SIZE):
        add(paper, authors[4], votes=1, minute=index)

    page = client.get(f"/papers/{PAPER}").content.decode()

    assert comment_ids_in(page)[:4] == [deleted.pk, reply.pk, hidden.pk, under_hidden.pk]
    assert "[deleted]" in page
    assert "[removed by a moderator]" in page
    permalink = client.get(f"/papers/{PAPER}/comments/{hidden.pk}").content.decode()
    assert comment_ids_in(permalink) == [hidden.pk, under_hidden.pk]
    fragment = client.get(f"/papers/{PAPER}/comments/{deleted.pk}/replies", **HTMX)
    assert comment_ids_in(fragment.content.decode()) == [reply.pk]


def test_fragments_and_permalinks_of_unknown_comments_are_404(client, paper, authors):
    comment = add(paper, authors[0])
    other = make_paper()

    assert (
        client.get(f"/papers/{other.arxiv_id}/comments/{comment.pk}/replies", **HTMX).status_code
        == 404
    )
    assert (
        client.get(f"/papers/{PAPER}/comments/{comment.pk + 1}/replies", **HTMX).status_code == 404
    )
    assert (
        client.get(
            f"/papers/{PAPER}/comments/{comment.pk}/replies?depth=x&after=y", **HTMX
        ).status_code
        == 200
    )


# --- Cost ----------------------------------------------------------------------------------


def big_discussion(paper, authors, count: int) -> list[Comment]:
    """A quarter top-level comments, a thread with a third of the rest, long chains."""
    rng = random.Random(3)
    parents: list[int | None] = [None]
    for i in range(1, count):
        roll = rng.random()
        if roll < 0.25:
            parents.append(None)
        elif roll < 0.55:
            parents.append(0 if rng.random() < 0.5 else rng.randrange(max(0, i - 50), i))
        elif roll < 0.7:
            parents.append(i - 1)
        else:
            parents.append(rng.randrange(i))
    return bulk_discussion(paper, authors, parents, seed=3)


@pytest.mark.parametrize("logged_in", [False, True])
def test_pages_cost_the_same_queries_and_bounded_html_whatever_the_number_of_comments(
    client, paper, authors, logged_in, django_assert_max_num_queries
):
    if logged_in:
        client.force_login(authors[0])
    urls = {
        "page": lambda: f"/papers/{PAPER}",
        "more": lambda: links(pages["page"], "more-comments")[0][1],
        "replies": lambda: links(pages["page"], "more-replies")[0][1],
        "permalink": lambda: links(pages["page"], "more-replies")[0][0],
        "continue": lambda: f"{chain[THREAD_DEPTH - 1].get_absolute_url()}/replies?depth=0",
    }
    # A few comments with every kind of link: a chain deeper than THREAD_DEPTH, a comment with
    # more replies than shown, more top-level comments than a page; the most upvoted, so
    # they still lead the first page once thousands of comments are added.
    chain: list[Comment] = [add(paper, authors[0], votes=100)]
    for index in range(THREAD_DEPTH + 1):
        chain.append(add(paper, authors[1], chain[-1], minute=index))
    wide = add(paper, authors[2], votes=99)
    for index in range(REPLIES_PER_THREAD + 2):
        add(paper, authors[3], wide, minute=index)
    for index in range(PAGE_SIZE - 1):
        add(paper, authors[4], minute=10_000 + index)  # the last, once there are many
    client.get(f"/papers/{PAPER}")  # warms the similar-papers cache: counts are steady state

    def measure() -> dict[str, tuple[int, int]]:
        nonlocal pages
        pages = {}
        costs = {}
        for name, url in urls.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(
                    url(), **(HTMX if name in {"more", "replies", "continue"} else {})
                )
            assert response.status_code == 200, name
            pages[name] = response.content.decode()
            costs[name] = (len(captured), len(response.content))
        return costs

    pages: dict[str, str] = {}
    few = measure()
    big_discussion(paper, authors, 3_000)
    many = measure()

    assert {name: queries for name, (queries, _) in many.items()} == {
        name: queries for name, (queries, _) in few.items()
    }
    print(few, many)
    assert few["page"][1] < many["page"][1] <= 300_000  # a page of the many, bounded
    for name in ("more", "replies", "permalink", "continue"):
        assert many[name][1] <= 300_000, name
    # A fragment: the paper (or the comment), one query for its page of comments; logged in,
    # the session and the user, then one each for the reader's vote marks and flags.
    for name in ("more", "replies", "continue"):
        with django_assert_max_num_queries(6 if logged_in else 2):
            client.get(urls[name](), **HTMX)
