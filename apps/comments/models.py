import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
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

    class Visibility(models.TextChoices):
        VISIBLE = "visible", "Visible"
        # Enough flags hide it until a moderator looks (settings.FLAG_HIDE_THRESHOLD).
        FLAGGED = "flagged", "Hidden pending review"
        REMOVED = "removed", "Removed by a moderator"

    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="comments")
    # Indexed by comments_author_time.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comments",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The thread's top-level comment, NULL on top-level comments themselves: a page of threads
    # reads the first replies of each from an index by thread (``comments_thread_best/new``).
    # ``save`` sets it for a new reply; bulk writers (COPY, bulk_create) fill it themselves
    # (the CHECK below insists).
    root = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    depth = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(max_length=MAX_BODY_LENGTH)
    body_html = models.TextField()
    upvotes_count = models.PositiveIntegerField(default=0)
    # Deleted comments that still have replies stay as "[deleted]" so the thread holds.
    is_deleted = models.BooleanField(default=False)
    # Hidden comments keep their place (and replies) in the thread, without their text.
    visibility = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.VISIBLE,
        db_default=Visibility.VISIBLE,
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["paper", "created_at"], name="comments_paper_time"),
            # Profiles list a user's comments, and new accounts' daily limit counts them.
            models.Index(fields=["author", "-created_at"], name="comments_author_time"),
            # A paper's top-level comments in either order of the discussion, and the first
            # replies of each, level by level (apps.comments.selectors.comment_thread).
            models.Index(
                fields=["paper", "-upvotes_count", "created_at", "id"],
                name="comments_roots_best",
                condition=Q(parent__isnull=True),
            ),
            models.Index(
                fields=["paper", "-created_at", "-id"],
                name="comments_roots_new",
                condition=Q(parent__isnull=True),
            ),
            models.Index(
                fields=["root", "depth", "-upvotes_count", "created_at", "id"],
                name="comments_thread_best",
                condition=Q(root__isnull=False),
            ),
            models.Index(
                fields=["root", "depth", "-created_at", "-id"],
                name="comments_thread_new",
                condition=Q(root__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=True, root__isnull=True)
                | Q(parent__isnull=False, root__isnull=False),
                name="comments_root_only_on_replies",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MAX_BODY_LENGTH),
                name="comments_comment_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.paper_id}"

    def save(self, *args, **kwargs) -> None:
        """A new reply joins its parent's thread, whoever creates it (services, admin, demo)."""
        if self.parent_id is not None and self.root_id is None:
            self.root_id = self.parent.root_id or self.parent_id
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("comments:detail", args=[self.paper.arxiv_id, self.pk])

    @property
    def is_hidden(self) -> bool:
        return self.visibility != self.Visibility.VISIBLE

    @property
    def is_shown(self) -> bool:
        """Its text is shown, it can be voted on and replied to."""
        return not self.is_deleted and not self.is_hidden

    @property
    def in_edit_window(self) -> bool:
        return self.is_shown and timezone.now() - self.created_at <= EDIT_WINDOW
