import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The search document is read row by row when a search walks the upvotes index (and when the
# candidates are ranked): kept in the row (compressed), it is read with the row instead of from
# the TOAST table, 2.7 times faster (bench/README.md). Rows written from now on; the bench
# generator writes them all. Its statistics name every lexeme of a large corpus (1,000 most
# common elements by default cover the top few hundred words only): "similar papers" picks the
# rarest terms by them, and search estimates its matches by them.
SEARCH_VECTOR_STORAGE = """
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE MAIN;
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STATISTICS 1000;
"""
SEARCH_VECTOR_STORAGE_BACK = """
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE EXTENDED;
ALTER TABLE papers_paper ALTER COLUMN search_vector SET STATISTICS -1;
"""


class Migration(migrations.Migration):
    """Indexes for a million papers (issue 12; each names the query it serves in models.py).

    New indexes are built before the ones they replace are dropped.
    """

    dependencies = [
        ("papers", "0007_paper_removed_from_day"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # selectors.DailyPapers, page_of's count, nearest_values: replaces the plain day index.
        migrations.AddIndex(
            model_name="dailyentry",
            index=models.Index(
                fields=["day"], include=("paper", "submitted_at"), name="papers_entry_day_cover"
            ),
        ),
        # Profiles' submitted tab, the API's ?submitter=: replaces the foreign key's index.
        migrations.AddIndex(
            model_name="dailyentry",
            index=models.Index(
                fields=["submitted_by", "-submitted_at"],
                include=("paper",),
                name="papers_entry_submitter",
            ),
        ),
        migrations.AlterField(
            model_name="dailyentry",
            name="day",
            field=models.DateField(),
        ),
        migrations.AlterField(
            model_name="dailyentry",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="daily_entries",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        # search.ranked_paper_ids: the matches among the papers with 10 upvotes or more.
        migrations.AddIndex(
            model_name="paper",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("upvotes_count__gte", 10)),
                fields=["search_vector"],
                name="papers_paper_search_popular",
            ),
        ),
        # The trending score joins the covering index (the API's trending listing of a period).
        migrations.RemoveIndex(
            model_name="paper",
            name="papers_paper_rank_cover",
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(
                fields=["id"],
                include=("upvotes_count", "trending_score", "arxiv_id"),
                name="papers_paper_rank_cover",
            ),
        ),
        migrations.RunSQL(SEARCH_VECTOR_STORAGE, SEARCH_VECTOR_STORAGE_BACK),
    ]
