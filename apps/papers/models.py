from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from apps.core.navigation import url_with
from apps.papers.arxiv_ids import ARXIV_ID_PATTERN

# Papers with at least this many upvotes have their own search index (papers_paper_search_popular).
POPULAR_UPVOTES = 10

arxiv_id_validator = RegexValidator(
    rf"^{ARXIV_ID_PATTERN}$", "Enter an arXiv id without version, e.g. 2410.09692."
)


class Paper(models.Model):
    """An arXiv paper, keyed by its id without version; later versions update the same row."""

    arxiv_id = models.CharField(max_length=32, unique=True, validators=[arxiv_id_validator])
    title = models.CharField(max_length=500)
    abstract = models.TextField()
    published_on = models.DateField(help_text="Date of the first arXiv version.")
    updated_on = models.DateField(null=True, blank=True, help_text="Date of the latest version.")
    latest_version = models.PositiveSmallIntegerField(default=1)
    primary_category = models.CharField(max_length=32, blank=True)
    # Every category the paper is listed in, the primary one first (the New page filters on it).
    categories = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    comment = models.TextField(blank=True, help_text="The authors' arXiv comment.")
    journal_ref = models.CharField(max_length=500, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    github_repo = models.URLField(blank=True)
    project_page = models.URLField(blank=True)
    # Read from GitHub's API by a periodic task (apps.ingestion.github); None until then.
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    # Page 1 of the PDF, rendered by a Celery task (apps.ingestion.thumbnails).
    thumbnail = models.FileField(upload_to="thumbnails/", max_length=200, blank=True)
    # A locked discussion takes no new comments or replies (moderators lock and unlock it).
    discussion_locked = models.BooleanField(default=False, db_default=False)
    # A moderator took it off its day's list: resubmitting it waits for review, whoever does.
    removed_from_day = models.BooleanField(default=False, db_default=False)
    # Denormalised counters, recomputed from their rows in the same transaction as each change.
    upvotes_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    # Time-decayed vote score, stored so that the trending page is one indexed query.
    trending_score = models.FloatField(default=0.0, db_index=True)
    # Weighted title (A) / authors (B) / abstract (C) document, kept up to date on write.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    authors = models.ManyToManyField("Author", through="Authorship", related_name="papers")

    class Meta:
        indexes = [
            GinIndex(fields=["search_vector"], name="papers_paper_search_gin"),
            # The matches of a search among papers with POPULAR_UPVOTES or more, a tenth of
            # them: most searches find their 100 most upvoted matches there, reading a tenth of
            # the postings and rows (apps/papers/search.py: ranked_paper_ids).
            GinIndex(
                fields=["search_vector"],
                name="papers_paper_search_popular",
                condition=Q(upvotes_count__gte=POPULAR_UPVOTES),
            ),
            # Period pages and API listings rank thousands of entries by their paper's upvotes
            # or trending score; this lets that join read the index alone instead of every wide
            # paper row (selectors.page_of, selectors.DailyPapers).
            models.Index(
                fields=["id"],
                include=["upvotes_count", "trending_score", "arxiv_id"],
                name="papers_paper_rank_cover",
            ),
            # Search walks matches most-upvoted first and stops early (apps/papers/search.py).
            models.Index(fields=["-upvotes_count", "-id"], name="papers_paper_upvotes_idx"),
            GinIndex(fields=["categories"], name="papers_paper_categories_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(arxiv_id__regex=rf"^{ARXIV_ID_PATTERN}$"),
                name="papers_paper_arxiv_id_versionless",
            ),
            models.CheckConstraint(
                condition=Q(updated_on__isnull=True) | Q(updated_on__gte=models.F("published_on")),
                name="papers_paper_updated_after_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title}"

    def get_absolute_url(self) -> str:
        return url_with("papers:detail", self.arxiv_id, sample="2101.00001")

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


class PaperAlias(models.Model):
    """The arXiv id of a duplicate merged into ``paper``: its URLs redirect there, and
    ingestion does not bring the duplicate back."""

    arxiv_id = models.CharField(max_length=32, unique=True, validators=[arxiv_id_validator])
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "paper aliases"

    def __str__(self) -> str:
        return f"{self.arxiv_id} → {self.paper_id}"


class PaperVersion(models.Model):
    """One arXiv version of a paper; its date is unknown for versions no source has dated."""

    # Indexed by the unique (paper, number) constraint.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["paper", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "number"], name="papers_paperversion_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="papers_paperversion_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.number}"


class Author(models.Model):
    """A name as it appears on papers; a user may later claim an authorship under it."""

    name = models.CharField(max_length=255, unique=True)

    def __str__(self) -> str:
        return self.name


class Authorship(models.Model):
    """An author's place in a paper's author list (``position`` starts at 0)."""

    # No index of its own: the unique (paper, position) index serves lookups by paper, and one
    # index fewer to maintain is felt when ingestion writes tens of thousands of rows.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False
    )
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()
    affiliation = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            # Deferred, so that a new version that reorders the authors can renumber the rows
            # it keeps (and their author claims) in any order within one transaction.
            models.UniqueConstraint(
                fields=["paper", "position"],
                name="papers_authorship_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["paper", "author"], name="papers_authorship_unique_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} #{self.position} on {self.paper.arxiv_id}"


class DailyEntry(models.Model):
    """A paper's place on a day's page: the day it was submitted or featured, and by whom."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="daily_entry")
    # Indexed by papers_entry_day_cover.
    day = models.DateField()
    # Indexed by papers_entry_submitter.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="daily_entries",
        db_index=False,
    )
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "daily entries"
        indexes = [
            # The API's default listing: newest submissions first, across all days.
            models.Index(fields=["-submitted_at"], name="papers_entry_submitted_idx"),
            # A period's entries from the index alone: its count, its ranking in the API
            # (selectors.DailyPapers reads a month's 20,000 entries at 1M papers), the nearest
            # days with papers.
            models.Index(
                fields=["day"], include=["paper", "submitted_at"], name="papers_entry_day_cover"
            ),
            # A submitter's entries, newest first: profiles' "submitted" tab, the API's
            # ?submitter=, the moderators' page of a user (its papers' ids from the index).
            models.Index(
                fields=["submitted_by", "-submitted_at"],
                include=["paper"],
                name="papers_entry_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} on {self.day}"


class AuthorClaim(models.Model):
    """A user's claim to be the author in one slot of a paper's author list.

    Moderators approve or reject it (with a reason the claimant sees); only approved claims
    link the name to the profile. A rejected claimant may ask again once, with new evidence.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author_claims"
    )
    authorship = models.ForeignKey(
        "papers.Authorship", on_delete=models.CASCADE, related_name="claims"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # How a moderator can check the claim (an institutional page, ORCID, a paper's email).
    evidence = models.TextField(blank=True, max_length=2000)
    # Why it was rejected; shown to the claimant.
    reason = models.TextField(blank=True, max_length=2000)
    asked_again = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "authorship"], name="users_authorclaim_once_per_user_and_slot"
            ),
            models.UniqueConstraint(
                fields=["authorship"],
                condition=Q(status="approved"),
                name="users_authorclaim_one_approved_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="users_authorclaim_decided_iff_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.authorship} ({self.status})"
