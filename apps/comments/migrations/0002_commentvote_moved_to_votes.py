from django.db import migrations


class Migration(migrations.Migration):
    """CommentVote now belongs to the votes app (votes 0002 took over its table and rows)."""

    dependencies = [
        ("comments", "0001_initial"),
        ("votes", "0002_commentvote"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel("CommentVote")]
        ),
    ]
