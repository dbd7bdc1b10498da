"""Moving models between apps keeps their tables' rows: a database filled under the schema of
before the re-cut (comment votes in ``comments``, author claims in ``users``) is migrated to
today's and nothing is lost; migrating back restores the old tables."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

# The last migrations before comment votes moved to votes and author claims to papers.
BEFORE_THE_MOVE = [
    ("users", "0004_display_name_single_line"),
    ("papers", "0003_search_and_api_indexes"),
    ("comments", "0001_initial"),
    ("votes", "0001_initial"),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def _fill_old_schema(old_apps) -> dict:
    """Rows written through the historical models of the old schema."""
    user_model = old_apps.get_model("users", "User")
    ada = user_model.objects.create(username="ada", email="ada@example.org")
    alan = user_model.objects.create(username="alan", email="alan@example.org")
    paper = old_apps.get_model("papers", "Paper").objects.create(
        arxiv_id="2410.09692", title="LoRA", abstract="Low-rank.", published_on=dt.date(2024, 10, 1)
    )
    author = old_apps.get_model("papers", "Author").objects.create(name="Ada Lovelace")
    slot = old_apps.get_model("papers", "Authorship").objects.create(
        paper=paper, author=author, position=0
    )
    claim_model = old_apps.get_model("users", "AuthorClaim")
    approved = claim_model.objects.create(
        user=ada, authorship=slot, status="approved", decided_at=dt.datetime.now(dt.UTC)
    )
    pending = claim_model.objects.create(user=alan, authorship=slot)
    comment = old_apps.get_model("comments", "Comment").objects.create(
        paper=paper, author=ada, body="Nice", body_html="<p>Nice</p>", upvotes_count=2
    )
    vote_model = old_apps.get_model("comments", "CommentVote")
    votes = [vote_model.objects.create(user=u, comment=comment) for u in (ada, alan)]
    return {
        "users": (ada.pk, alan.pk),
        "slot": slot.pk,
        "claims": {approved.pk: "approved", pending.pk: "pending"},
        "comment": comment.pk,
        "votes": {vote.pk: vote.user_id for vote in votes},
    }


@pytest.mark.django_db(transaction=True)
def test_migrating_a_filled_database_across_the_move_keeps_every_row():
    try:
        executor = _migrate(BEFORE_THE_MOVE)
        assert {"comments_commentvote", "users_authorclaim"} <= _tables()
        rows = _fill_old_schema(executor.loader.project_state(BEFORE_THE_MOVE).apps)

        _migrate(_latest())

        from apps.papers.models import AuthorClaim
        from apps.users.models import User
        from apps.votes.models import CommentVote

        tables = _tables()
        assert {"votes_commentvote", "papers_authorclaim"} <= tables
        assert not {"comments_commentvote", "users_authorclaim"} & tables
        assert {
            vote.pk: vote.user_id for vote in CommentVote.objects.filter(comment=rows["comment"])
        } == rows["votes"]
        claims = AuthorClaim.objects.filter(authorship=rows["slot"])
        assert {claim.pk: claim.status for claim in claims} == rows["claims"]
        # The constraints came along with the rows.
        with pytest.raises(IntegrityError), transaction.atomic():
            CommentVote.objects.create(user_id=rows["users"][0], comment_id=rows["comment"])
        with pytest.raises(IntegrityError), transaction.atomic():
            AuthorClaim.objects.create(user_id=rows["users"][0], authorship_id=rows["slot"])
        # New rows get fresh ids from the moved tables' own sequences.
        voter = User.objects.create(username="new")
        new_vote = CommentVote.objects.create(user=voter, comment_id=rows["comment"])
        assert new_vote.pk not in rows["votes"]

        # And back: the old tables hold the rows again.
        _migrate(BEFORE_THE_MOVE)
        assert {"comments_commentvote", "users_authorclaim"} <= _tables()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM comments_commentvote")
            assert cursor.fetchone()[0] == len(rows["votes"]) + 1
            cursor.execute("SELECT count(*) FROM users_authorclaim")
            assert cursor.fetchone()[0] == len(rows["claims"])
    finally:
        # Whatever happened above, later tests get today's schema.
        _migrate(_latest())
