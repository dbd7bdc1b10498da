"""What a digest contains: the frozen top papers, and the "for you" part of account holders."""

import datetime as dt
import itertools

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.digests.models import Delivery, Digest, Frequency, Subscription
from apps.digests.rendering import DigestRenderer, digest_subject
from apps.digests.schedule import period_containing
from apps.digests.selectors import digest_papers, for_you, papers_already_sent
from apps.digests.services import digest_freeze
from apps.papers.models import Paper
from apps.votes.models import Vote
from tests.factories import add_votes, make_entry, make_user

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 27)  # a Friday, in ISO week 48
_names = itertools.count(1)

SEED = {
    "title": "Video diffusion models for temporally consistent generation",
    "abstract": "We train video diffusion models that generate temporally consistent video "
    "clips from text, with a temporal attention layer and a denoising schedule.",
}
RELATED = {
    "title": "Fast samplers for video diffusion",
    "abstract": "A sampler for video diffusion models that keeps clips temporally consistent "
    "with a tenth of the denoising steps.",
}
UNRELATED = {
    "title": "Protein folding with graph networks",
    "abstract": "We predict protein structures from sequences with graph neural networks "
    "and evolutionary couplings.",
}


def paper_on(day, *, upvotes=0, authors=None, **fields):
    """A paper on ``day``'s list with authors of its own (the factory's default authors are
    shared by every paper, which "for you" would take for a strong match)."""
    authors = authors or [f"Author {next(_names)}", f"Author {next(_names)}"]
    return make_entry(day=day, upvotes=upvotes, authors=authors, **fields).paper


def daily_digest(day=DAY):
    return digest_freeze(frequency=Frequency.DAILY, period=period_containing(Frequency.DAILY, day))


def account(user, **fields):
    subscription = Subscription.objects.create(
        email=user.email, user=user, status=Subscription.Status.ACTIVE, **fields
    )
    return Subscription.objects.select_related("user").get(pk=subscription.pk)


def visitor(email="reader@example.org", **fields):
    return Subscription.objects.create(email=email, status=Subscription.Status.ACTIVE, **fields)


def vote(user, paper, *, days_ago=1):
    created = Vote.objects.create(user=user, paper=paper)
    at = timezone.now() - dt.timedelta(days=days_ago)
    Vote.objects.filter(pk=created.pk).update(created_at=at)


# --- The top papers -------------------------------------------------------------------------


def test_top_papers_are_the_frozen_list_in_order_with_authors_in_one_query(
    django_assert_num_queries,
):
    first = paper_on(DAY, upvotes=9, title="First", authors=["A One", "A Two"])
    second = paper_on(DAY, upvotes=5, title="Second")
    third = paper_on(DAY, upvotes=1, title="Third")
    digest = daily_digest()
    # Votes after freezing do not reorder the digest.
    add_votes(third, 20)

    with django_assert_num_queries(1):
        papers = digest_papers(digest)

    assert [p.pk for p in papers] == [first.pk, second.pk, third.pk]
    assert papers[0].author_names == ["A One", "A Two"]
    assert papers[2].upvotes_count == 20
    assert papers[0].daily_entry.day == DAY


def test_papers_deleted_merged_or_removed_since_freezing_are_skipped():
    kept = paper_on(DAY, upvotes=3, title="Kept")
    deleted = paper_on(DAY, upvotes=2, title="Deleted")
    removed = paper_on(DAY, upvotes=1, title="Removed")
    digest = daily_digest()
    deleted.delete()  # a merge deletes the duplicate too
    Paper.objects.filter(pk=removed.pk).update(removed_from_day=True)

    assert [p.pk for p in digest_papers(digest)] == [kept.pk]


def test_the_email_shows_each_top_paper_with_rank_links_counts_and_an_excerpt():
    abstract = "Low-rank adaptation $W + AB$ is the bread and butter of finetuning. " * 12
    paper = paper_on(
        DAY,
        upvotes=7,
        title="ALLoRA: Adaptive Learning Rate",
        abstract=abstract,
        authors=[f"Writer {i}" for i in range(6)],
    )
    Paper.objects.filter(pk=paper.pk).update(comments_count=3, thumbnail="thumbnails/x.webp")
    paper_on(DAY, upvotes=1, title="Runner-up")
    message, paper_ids = DigestRenderer(daily_digest()).message(visitor())
    html, text = message.alternatives[0].content, message.body

    page = f"{settings.SITE_URL}/papers/{paper.arxiv_id}"
    assert paper_ids == [paper.pk, Paper.objects.get(title="Runner-up").pk]
    assert f'<a href="{page}" target="_blank"' in html
    assert "#1</span>" in html
    assert "#2</span>" in html
    assert "Writer 0, Writer 1, Writer 2, Writer 3 et al." in html
    assert "Writer 4" not in html
    assert "▲ 7 upvotes · 3 comments" in html
    assert f"https://arxiv.org/abs/{paper.arxiv_id}" in html
    assert f"https://arxiv.org/pdf/{paper.arxiv_id}" in html
    assert f'src="{settings.SITE_URL}/media/thumbnails/x.webp"' in html
    # The excerpt: about 280 characters, cut at a word, maths left as written.
    excerpt = text.split("\n")[text.split("\n").index("   ▲ 7 upvotes · 3 comments") + 1].strip()
    assert excerpt.startswith("Low-rank adaptation $W + AB$ is the bread")
    assert excerpt.endswith("…")
    assert 250 < len(excerpt) <= 300
    assert excerpt[:-1].split()[-1] in abstract.split()
    assert "1. ALLoRA: Adaptive Learning Rate\n" in text
    assert f"Discuss: {page}" in text
    assert "For you" not in html
    assert "FOR YOU" not in text


def test_subjects_name_the_day_or_the_week():
    daily = Digest(frequency="daily", period_start=DAY, period_end=DAY)
    week = period_containing(Frequency.WEEKLY, DAY)
    weekly = Digest(frequency="weekly", period_start=week.start, period_end=week.end)
    across = period_containing(Frequency.WEEKLY, dt.date(2026, 12, 1))
    weekly_across = Digest(frequency="weekly", period_start=across.start, period_end=across.end)

    assert digest_subject(daily) == "Top papers of Friday, Nov 27 · Paperboard"
    assert digest_subject(weekly) == "This week's top papers (Nov 23\N{EN DASH}29) · Paperboard"
    assert digest_subject(weekly_across) == (
        "This week's top papers (Nov 30\N{EN DASH}Dec 6) · Paperboard"
    )


# --- For you --------------------------------------------------------------------------------


@pytest.fixture
def window():
    """The digest's day has one top paper; the week before it has a seed, a related paper
    and an unrelated one (the "for you" candidates)."""
    top = paper_on(DAY, upvotes=10, title="The top paper of the day")
    seed = paper_on(DAY - dt.timedelta(days=3), upvotes=4, **SEED)
    related = paper_on(DAY - dt.timedelta(days=2), upvotes=2, **RELATED)
    unrelated = paper_on(DAY - dt.timedelta(days=1), upvotes=3, **UNRELATED)
    return {
        "digest": daily_digest(),
        "top": top,
        "seed": seed,
        "related": related,
        "unrelated": unrelated,
    }


def test_a_paper_like_one_the_user_upvoted_comes_with_its_reason(window):
    user = make_user()
    vote(user, window["seed"])

    suggestions = for_you(user=user, digest=window["digest"], exclude_ids=set())

    assert [s.paper for s in suggestions] == [window["related"]]
    reason = suggestions[0].reason
    assert reason.startswith(f"because you upvoted “{SEED['title']}” · shares: ")
    shared = reason.split("shares: ")[1].split(", ")
    assert 2 <= len(shared) <= 3
    assert {"video", "diffusion"} <= set(shared)


def test_a_commented_paper_is_a_seed_and_shared_authors_are_a_reason(window):
    user = make_user()
    seed = paper_on(DAY - dt.timedelta(days=4), title="Galaxies", authors=["Vera Rubin", "X Y"])
    peer = paper_on(DAY - dt.timedelta(days=4), title="Stars", authors=["Kent Ford", "Vera Rubin"])
    comment_create(author=user, paper=seed, body="Lovely work.")

    suggestions = for_you(user=user, digest=window["digest"], exclude_ids=set())

    assert [s.paper for s in suggestions] == [peer]
    assert (
        suggestions[0].reason == "because you commented on “Galaxies” · shared authors: Vera Rubin"
    )


def test_hidden_deleted_and_old_activity_seeds_nothing(window):
    user = make_user()
    vote(user, window["seed"], days_ago=31)
    comment = comment_create(author=user, paper=window["seed"], body="Hmm.")
    Comment.objects.filter(pk=comment.pk).update(visibility=Comment.Visibility.REMOVED)
    other = make_user()
    deleted = comment_create(author=other, paper=window["seed"], body="Gone.")
    Comment.objects.filter(pk=deleted.pk).update(is_deleted=True)

    assert for_you(user=user, digest=window["digest"], exclude_ids=set()) == []
    assert for_you(user=other, digest=window["digest"], exclude_ids=set()) == []


def test_weak_matches_are_not_shown(window):
    user = make_user()
    lonely = paper_on(DAY - dt.timedelta(days=20), title="Medieval tax records of Flanders")
    vote(user, lonely)

    assert for_you(user=user, digest=window["digest"], exclude_ids=set()) == []


def test_the_top_part_is_never_suggested(window):
    user = make_user()
    twin = paper_on(DAY, upvotes=8, title=RELATED["title"] + " again", abstract=RELATED["abstract"])
    digest = Digest.objects.get(pk=window["digest"].pk)
    digest.paper_ids = [window["top"].pk, twin.pk]
    digest.save()
    vote(user, window["seed"])

    suggested = [s.paper for s in for_you(user=user, digest=digest, exclude_ids=set())]

    assert twin not in suggested
    assert window["related"] in suggested


def test_papers_the_user_voted_on_or_commented_on_are_not_suggested(window):
    user = make_user()
    vote(user, window["seed"])
    vote(user, window["related"], days_ago=40)  # long ago: not a seed, still excluded
    assert for_you(user=user, digest=window["digest"], exclude_ids=set()) == []

    commenter = make_user()
    vote(commenter, window["seed"])
    comment = comment_create(author=commenter, paper=window["related"], body="Read it.")
    Comment.objects.filter(pk=comment.pk).update(is_deleted=True)
    assert for_you(user=commenter, digest=window["digest"], exclude_ids=set()) == []


def test_papers_an_earlier_digest_showed_are_not_shown_again(window):
    user = make_user()
    vote(user, window["seed"])
    subscription = account(user)
    earlier = daily_digest(DAY - dt.timedelta(days=2))
    Delivery.objects.create(
        subscription=subscription,
        digest=earlier,
        status=Delivery.Status.SENT,
        sent_at=timezone.now() - dt.timedelta(days=2),
        paper_ids=[window["related"].pk],
    )

    assert papers_already_sent(subscription) >= {window["related"].pk}
    message, paper_ids = DigestRenderer(window["digest"]).message(subscription)

    assert paper_ids == [window["top"].pk]
    assert "For you" not in message.alternatives[0].content
    assert RELATED["title"] not in message.body


def test_an_account_holders_email_has_the_for_you_part_and_lists_its_papers(window):
    user = make_user(display_name="Ada L.")
    vote(user, window["seed"])

    message, paper_ids = DigestRenderer(window["digest"]).message(account(user))
    html, text = message.alternatives[0].content, message.body

    assert paper_ids == [window["top"].pk, window["related"].pk]
    assert "Hi Ada L.," in html
    assert "Hi Ada L.," in text
    assert ">For you</h2>" in html
    assert f"Because you upvoted “{SEED['title']}” · shares: " in html
    assert "FOR YOU" in text
    assert f"- {RELATED['title']}" in text
    assert f"{settings.SITE_URL}/papers/{window['related'].arxiv_id}" in text


def test_anonymous_subscribers_get_no_for_you_part_and_cost_no_query(window):
    renderer, subscription = DigestRenderer(window["digest"]), visitor()
    with CaptureQueriesContext(connection) as queries:
        message, paper_ids = renderer.message(subscription)

    assert len(queries.captured_queries) == 0
    assert paper_ids == [window["top"].pk]
    assert "For you" not in message.alternatives[0].content
    assert "Hi " not in message.body


def test_an_empty_for_you_part_is_left_out(window):
    message, paper_ids = DigestRenderer(window["digest"]).message(account(make_user()))

    assert paper_ids == [window["top"].pk]
    assert "For you" not in message.alternatives[0].content
    assert "FOR YOU" not in message.body


def test_an_account_holders_email_costs_the_same_few_queries_with_1_or_50_votes(
    window, django_assert_max_num_queries
):
    light, heavy = make_user(), make_user()
    vote(light, window["seed"])
    for i in range(49):
        vote(heavy, paper_on(DAY - dt.timedelta(days=i % 6 + 1), title=f"Extra {i}"))
    vote(heavy, window["seed"])
    comment_create(author=heavy, paper=window["unrelated"], body="Nice.")
    renderer = DigestRenderer(window["digest"])
    assert renderer.candidates.papers  # loaded once per digest, with the first account holder

    counts = []
    for user in (light, heavy):
        subscription = account(user)
        with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as queries:
            _message, paper_ids = renderer.message(subscription)
        counts.append(len(queries.captured_queries))
        assert window["related"].pk in paper_ids

    assert counts[0] == counts[1]


def test_a_batch_prefetch_gives_the_same_emails_in_two_queries_for_all(
    window, django_assert_num_queries
):
    users = [make_user() for _ in range(6)]
    for user in users[::2]:
        vote(user, window["seed"])
    comment_create(author=users[1], paper=window["seed"], body="Lovely samples.")
    subscriptions = [account(user) for user in users] + [visitor()]
    one_by_one = DigestRenderer(window["digest"])
    expected = [one_by_one.message(subscription)[1] for subscription in subscriptions]

    renderer = DigestRenderer(window["digest"])
    renderer.candidates  # noqa: B018 - loaded once per digest, not per batch
    with django_assert_num_queries(2):  # already sent, and everyone's activity
        renderer.prefetch(subscriptions)
    with django_assert_num_queries(0):
        batch = [renderer.message(subscription)[1] for subscription in subscriptions]

    assert batch == expected
    assert [window["related"].pk in ids for ids in batch] == [
        True, True, True, False, True, False, False
    ]  # fmt: skip
