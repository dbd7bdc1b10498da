"""Papers users bring to the daily list, and where each submission stands."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.papers.models import Paper


class Submission(models.Model):
    """A user's request to put an arXiv paper on the daily list, and where it stands."""

    class Status(models.TextChoices):
        FETCHING = "fetching", "Fetching from arXiv"
        PENDING = "pending", "Pending review"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    OPEN_STATUSES = (Status.FETCHING, Status.PENDING)

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    arxiv_id = models.CharField(max_length=32)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.CASCADE, related_name="submissions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FETCHING)
    # Shown to the submitter: why a fetch failed or why a moderator rejected the paper.
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
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
            # Two people submitting one paper at once end up looking at one submission.
            models.UniqueConstraint(
                fields=["arxiv_id"],
                condition=Q(status__in=["fetching", "pending"]),
                name="submissions_one_open_per_paper",
            ),
        ]
        indexes = [
            models.Index(fields=["submitted_by", "-created_at"], name="submissions_user_idx"),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status="pending"),
                name="submissions_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id} by {self.submitted_by} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
