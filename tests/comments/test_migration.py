"""Migration 0004 gives every existing reply its thread's top-level comment (``root``), however
deep, with a recursive query; top-level comments have none."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("comments", "0003_comment_visibility_author_index")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_replies_get_their_thread_s_top_level_comment():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
        paper = old_apps.get_model("papers", "Paper").objects.create(
            arxiv_id="2410.09692", title="LoRA", abstract="-", published_on=dt.date(2024, 10, 1)
        )
        old_comment = old_apps.get_model("comments", "Comment")

        def add(parent=None):
            depth = parent.depth + 1 if parent else 0
            return old_comment.objects.create(
                paper=paper, parent=parent, depth=depth, body="x", body_html="<p>x</p>"
            )

        first, second = add(), add()
        chain = [first]
        for _ in range(12):
            chain.append(add(chain[-1]))
        sibling = add(chain[3])
        under_second = add(add(second))

        _migrate(latest)

        from apps.comments.models import Comment

        roots = dict(Comment.objects.values_list("pk", "root_id"))
        assert roots[first.pk] is None
        assert roots[second.pk] is None
        assert {roots[reply.pk] for reply in [*chain[1:], sibling]} == {first.pk}
        assert roots[under_second.pk] == second.pk
        with pytest.raises(IntegrityError), transaction.atomic():
            Comment.objects.filter(pk=sibling.pk).update(root=None)  # the CHECK holds
    finally:
        # Whatever happened above, later tests get today's schema.
        _migrate(latest)
