import django.db.models.deletion
from django.db import migrations, models

# Every reply gets the top-level comment of its thread: replies of top-level comments first,
# then their replies, level by level. The deferred foreign-key checks of the UPDATE run at once,
# so the table can take the constraint and the indexes in the same transaction.
BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
WITH RECURSIVE thread (id, root_id) AS (
    SELECT reply.id, top.id
    FROM comments_comment reply
    JOIN comments_comment top ON top.id = reply.parent_id AND top.parent_id IS NULL
  UNION ALL
    SELECT reply.id, thread.root_id
    FROM comments_comment reply
    JOIN thread ON reply.parent_id = thread.id
)
UPDATE comments_comment SET root_id = thread.root_id
FROM thread WHERE comments_comment.id = thread.id;
"""


class Migration(migrations.Migration):
    """Comments know their thread's top-level comment (``Comment.root``): a page of threads
    reads its replies in one query."""

    dependencies = [
        ("comments", "0003_comment_visibility_author_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="root",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="comments.comment",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="comment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("parent__isnull", True), ("root__isnull", True)),
                    models.Q(("parent__isnull", False), ("root__isnull", False)),
                    _connector="OR",
                ),
                name="comments_root_only_on_replies",
            ),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("parent__isnull", True)),
                fields=["paper", "-upvotes_count", "created_at", "id"],
                name="comments_roots_best",
            ),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("parent__isnull", True)),
                fields=["paper", "-created_at", "-id"],
                name="comments_roots_new",
            ),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("root__isnull", False)),
                fields=["root", "depth", "-upvotes_count", "created_at", "id"],
                name="comments_thread_best",
            ),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                condition=models.Q(("root__isnull", False)),
                fields=["root", "depth", "-created_at", "-id"],
                name="comments_thread_new",
            ),
        ),
    ]
