import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

MAX_BODY_LENGTH = 10_000
EDIT_WINDOW = dt.timedelta(minutes=15)


class Comment(models.Model):
    """A Markdown comment on a paper, possibly a reply.

    ``body_html`` is rendered and sanitised from ``body`` wherever the body is written: the
    services and the admin (``CommentAdmin.save_model``).
    """

    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    body_html = models.TextField()
    upvotes_count = models.PositiveIntegerField(default=0)
    # Deleted comments that still have replies stay as "[deleted]" so the thread holds.
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["paper", "created_at"], name="comments_paper_time")]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MAX_BODY_LENGTH),
                name="comments_comment_body_length",
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.paper_id}"

    def get_absolute_url(self) -> str:
        return reverse("comments:detail", args=[self.paper.arxiv_id, self.pk])

    @property
    def in_edit_window(self) -> bool:
        return not self.is_deleted and timezone.now() - self.created_at <= EDIT_WINDOW
