from django.db import migrations


class Migration(migrations.Migration):
    """AuthorClaim now belongs to the papers app (papers 0004 took over its table and rows)."""

    dependencies = [
        ("users", "0004_display_name_single_line"),
        ("papers", "0004_authorclaim"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel("AuthorClaim")]
        ),
    ]
