"""Every upvote: one row per user and item; the item's counter is recomputed from the rows."""

from django.conf import settings
from django.db import models


class Vote(models.Model):
    """One user's upvote on one paper; ``Paper.upvotes_count`` is recomputed from these rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="paper_votes"
    )
    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="votes_vote_one_per_user"),
        ]
        indexes = [
            models.Index(fields=["paper", "created_at"], name="votes_vote_paper_time"),
            # A user's latest votes with their papers from the index alone (a digest's "for
            # you" part, for a batch of subscribers at once; a profile's upvoted tab).
            models.Index(
                fields=["user", "-created_at"], include=["paper"], name="votes_vote_user_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ▲ {self.paper_id}"


class CommentVote(models.Model):
    """One user's upvote on one comment; ``Comment.upvotes_count`` is recomputed from these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_votes"
    )
    comment = models.ForeignKey("comments.Comment", on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Named when the model lived in the comments app; the name is kept with the data.
            models.UniqueConstraint(
                fields=["user", "comment"], name="comments_commentvote_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ▲ comment {self.comment_id}"
