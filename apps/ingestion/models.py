"""How papers arrive from arXiv: daily listings, back-fills, and what each run did."""

from django.db import models

from apps.papers.models import Paper


class Announcement(models.Model):
    """A paper's appearance in an arXiv daily listing; the New page of that day lists it."""

    class Kind(models.TextChoices):
        NEW = "new", "New"
        CROSS = "cross", "Cross-list"
        REPLACE = "replace", "Replacement"
        REPLACE_CROSS = "replace-cross", "Replacement (cross-list)"

    # Indexed by the unique (paper, day) constraint.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="announcements", db_index=False
    )
    day = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["day", "paper"]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "day"], name="ingestion_announcement_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["day", "kind"], name="ingestion_announcement_day_idx")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} {self.kind} on {self.day}"


class IngestCursor(models.Model):
    """Where the last successful ingest of one source stopped; the next run resumes there."""

    source = models.CharField(max_length=64, unique=True)
    announced_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.source} at {self.announced_on}"


class IngestRun(models.Model):
    """One ingest (beat task, command, submission fetch) and what it did, for the admin."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} ({self.status})"


class GithubRepoCheck(models.Model):
    """When a paper's GitHub repository was last asked for its stars, and the ETag it gave."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="github_check")
    repo = models.CharField(max_length=200, help_text="owner/name")
    etag = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.repo} checked {self.checked_at}"
