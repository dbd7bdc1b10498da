"""Demo votes and discussions for ``seed_demo``: deterministic, so a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.papers.models import DailyEntry, Paper
from apps.users.models import User
from apps.votes.models import CommentVote, Vote
from apps.votes.services import upvotes_recount

# (paper arXiv id, [(author username, reply-to index or None, body)]).
DEMO_THREADS: list[tuple[str, list[tuple[str, int | None, str]]]] = [
    (
        "2410.09692",
        [
            (
                "ada",
                None,
                "The key claim is that the LoRA update $\\Delta W = BA$ with $B$ initialised at "
                "zero makes the early gradient on $A$ vanish:\n\n"
                "$$\\frac{\\partial \\mathcal{L}}{\\partial A} = B^\\top "
                "\\frac{\\partial \\mathcal{L}}{\\partial W} = 0 \\quad\\text{at } t=0.$$\n\n"
                "Scaling the learning rate per row by $1/\\lVert B_i \\rVert$ is a neat fix.",
            ),
            (
                "alan",
                0,
                "@ada isn't that what the $\\alpha/r$ scaling already compensates for? "
                "I'd like to see an ablation against rsLoRA's $\\alpha/\\sqrt{r}$.",
            ),
            (
                "ada",
                1,
                "Not quite: $\\alpha/r$ is one global factor, while here each row gets its own "
                "step size. Table 3 has the rsLoRA comparison.",
            ),
            (
                "grace",
                None,
                "For anyone reproducing this, the row-wise norm is cheap:\n\n"
                "```python\nrow_scale = 1.0 / (B.norm(dim=1, keepdim=True) + eps)\n```",
            ),
        ],
    ),
    (
        "2505.20278",
        [
            (
                "emmy",
                None,
                "> a model can only generalise compositionally where functional equivalence "
                "can be observed\n\nThis reads like a data-coverage version of the "
                "$\\mathcal{O}(|V|^k)$ sample-complexity bound for $k$-hop tasks.",
            ),
            (
                "kurt",
                0,
                "Agreed. The interesting part is that the bound is on *coverage*, not on "
                "parameter count, so scaling alone does not close the gap.",
            ),
        ],
    ),
    (
        "2504.07912",
        [
            (
                "sofia",
                None,
                "Striking result: after RL the output distribution collapses onto one "
                "pre-training format within a few hundred steps. @grace did you see the "
                "same with GRPO?",
            ),
            (
                "grace",
                0,
                "Yes, and faster with a larger KL coefficient $\\beta$, which surprised me.",
            ),
        ],
    ),
]


@dataclass(frozen=True)
class CommunitySummary:
    votes: int
    comments: int


def _seed_votes(users: list[User], papers: list[Paper]) -> None:
    """A fixed pattern of upvotes, so pages have a ranking; counts recomputed from the rows."""
    Vote.objects.bulk_create(
        [
            Vote(user=user, paper=paper)
            for index, paper in enumerate(papers)
            for position, user in enumerate(users)
            if (index * 7 + position * 3) % 11 < 11 - min(index, 9)
        ],
        ignore_conflicts=True,
    )
    paper_ids = [paper.pk for paper in papers]
    with connection.cursor() as cursor:
        # Votes arrive over the hours after a paper is featured (by a fixed pattern), so the
        # trending page has real vote times to decay; rerunning sets the same times again.
        cursor.execute(
            f"UPDATE {Vote._meta.db_table} AS v SET created_at = "  # noqa: S608 - table names from models
            "LEAST(e.submitted_at + (v.user_id %% 12 + 1) * interval '1 hour', now()) "
            f"FROM {DailyEntry._meta.db_table} e WHERE e.paper_id = v.paper_id "
            "AND v.paper_id = ANY(%s)",
            [paper_ids],
        )
    upvotes_recount(item_model=Paper, ids=paper_ids)


def _seed_comment_votes(users: list[User], comments: list[Comment]) -> None:
    """Some upvotes on the demo comments, so "best" differs from "newest"."""
    CommentVote.objects.bulk_create(
        [
            CommentVote(user=user, comment=comment)
            for index, comment in enumerate(comments)
            for position, user in enumerate(users)
            if user.pk != comment.author_id and (index + position) % 3 == 0
        ],
        ignore_conflicts=True,
    )
    upvotes_recount(item_model=Comment, ids=[comment.pk for comment in comments])


def _seed_threads(users_by_name: dict[str, User]) -> list[Comment]:
    arxiv_ids = [arxiv_id for arxiv_id, _ in DEMO_THREADS]
    papers = Paper.objects.in_bulk(arxiv_ids, field_name="arxiv_id")
    seeded: list[Comment] = []
    for arxiv_id, posts in DEMO_THREADS:
        paper = papers.get(arxiv_id)
        if paper is None:
            continue
        created: list[Comment] = []
        for username, reply_to, body in posts:
            author = users_by_name[username]
            parent = created[reply_to] if reply_to is not None else None
            comment = Comment.objects.filter(
                paper=paper, author=author, parent=parent, body=body
            ).first()
            if comment is None:
                comment = comment_create(author=author, paper=paper, body=body, parent=parent)
            created.append(comment)
        seeded.extend(created)
    return seeded


@transaction.atomic
def seed_community(*, users: list[User], papers: list[Paper]) -> CommunitySummary:
    """Upvotes on the demo papers and a few discussion threads with maths and code."""
    _seed_votes(users, papers)
    comments = _seed_threads({user.username: user for user in users})
    _seed_comment_votes(users, comments)
    return CommunitySummary(
        votes=Vote.objects.filter(paper__in=papers).count(),
        comments=Comment.objects.filter(paper__in=papers).count(),
    )
