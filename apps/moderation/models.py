"""Flags users raise, and the public log of what moderators did."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class Flag(models.Model):
    """One user's report of one paper or comment, with a reason; open until a moderator acts.

    Who flagged is never shown to anyone but moderators.
    """

    class Reason(models.TextChoices):
        OFF_TOPIC = "off_topic", "Off-topic"
        DUPLICATE = "duplicate", "Duplicate"
        WRONG_METADATA = "metadata", "Wrong metadata"
        SPAM = "spam", "Spam"
        UNKIND = "unkind", "Unkind"
        TROLL = "troll", "Troll"
        ME_TOO = "me_too", "Me-too"
        OTHER = "other", "Other"

    PAPER_REASONS = (
        Reason.OFF_TOPIC,
        Reason.DUPLICATE,
        Reason.WRONG_METADATA,
        Reason.SPAM,
        Reason.OTHER,
    )
    COMMENT_REASONS = (
        Reason.OFF_TOPIC,
        Reason.UNKIND,
        Reason.SPAM,
        Reason.TROLL,
        Reason.ME_TOO,
        Reason.OTHER,
    )

    class Resolution(models.TextChoices):
        OPEN = "", "Open"
        DISMISSED = "dismissed", "Dismissed"
        UPHELD = "upheld", "Acted on"

    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    comment = models.ForeignKey(
        "comments.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    # Required with "other"; optional detail otherwise.
    text = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    resolution = models.CharField(
        max_length=10, choices=Resolution.choices, default=Resolution.OPEN, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paper__isnull=True, comment__isnull=False)
                | Q(paper__isnull=False, comment__isnull=True),
                name="moderation_flag_one_target",
            ),
            models.UniqueConstraint(
                fields=["flagged_by", "paper"], name="moderation_flag_once_per_paper"
            ),
            models.UniqueConstraint(
                fields=["flagged_by", "comment"], name="moderation_flag_once_per_comment"
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(text=""), name="moderation_flag_other_has_text"
            ),
            models.CheckConstraint(
                condition=Q(resolution="", resolved_at__isnull=True)
                | (~Q(resolution="") & Q(resolved_at__isnull=False)),
                name="moderation_flag_resolved_iff_resolution",
            ),
        ]
        indexes = [
            # The flags queue and the hide threshold read open flags only.
            models.Index(
                fields=["created_at"], condition=Q(resolution=""), name="moderation_flag_open_idx"
            ),
        ]

    def __str__(self) -> str:
        target = f"paper {self.paper_id}" if self.paper_id else f"comment {self.comment_id}"
        return f"{self.get_reason_display()} flag on {target}"

    @property
    def is_open(self) -> bool:
        return self.resolution == self.Resolution.OPEN


class ModerationAction(models.Model):
    """One entry of the public moderation log: who did what to which item, when and why.

    The target is stored as type, id, label and link rather than foreign keys, so the entry
    outlives what it names (a merged paper, a deleted comment). ``note`` is for moderators only.
    """

    class Action(models.TextChoices):
        SUBMISSION_APPROVE = "submission_approve", "approved a submission"
        SUBMISSION_REJECT = "submission_reject", "rejected a submission"
        CLAIM_APPROVE = "claim_approve", "approved an author claim"
        CLAIM_REJECT = "claim_reject", "rejected an author claim"
        FLAGS_DISMISS = "flags_dismiss", "dismissed flags"
        COMMENT_HIDE = "comment_hide", "removed a comment"
        # By the community: FLAG_HIDE_THRESHOLD open flags (moderator None).
        COMMENT_HIDE_BY_FLAGS = "comment_flagged", "hid a comment pending review"
        COMMENT_RESTORE = "comment_restore", "restored a comment"
        DISCUSSION_LOCK = "discussion_lock", "locked a discussion"
        DISCUSSION_UNLOCK = "discussion_unlock", "unlocked a discussion"
        PAPER_EDIT = "paper_edit", "edited a paper"
        PAPER_REMOVE_FROM_DAY = "paper_unlist", "removed a paper from its day"
        PAPER_MERGE = "paper_merge", "merged a duplicate paper"
        USER_WARN = "user_warn", "warned a user"
        USER_SUSPEND = "user_suspend", "suspended a user"
        USER_BAN = "user_ban", "banned a user"
        USER_UNBAN = "user_unban", "lifted a ban or suspension"

    class TargetType(models.TextChoices):
        PAPER = "paper", "Paper"
        COMMENT = "comment", "Comment"
        USER = "user", "User"
        SUBMISSION = "submission", "Submission"
        CLAIM = "claim", "Author claim"

    # None when the system acted (a comment hidden by flags); the handle is kept if the
    # moderator's account goes.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_actions",
    )
    moderator_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.BigIntegerField()
    target_label = models.CharField(max_length=300)
    target_url = models.CharField(max_length=300, blank=True)
    # The user the action concerns (author, submitter, claimant, sanctioned user): for the
    # moderators' history of a user; never shown in the public log.
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True, max_length=2000)
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The log filtered by a moderator's handle (moderator_name__iexact compares
            # UPPER()s), newest first: the page and its count read only that moderator's rows.
            models.Index(
                Upper("moderator_name"),
                F("created_at").desc(),
                F("id").desc(),
                name="moderation_log_moderator_name",
            ),
            models.Index(fields=["target_type", "target_id"], name="moderation_log_target"),
            models.Index(fields=["subject_user", "-created_at"], name="moderation_log_subject"),
        ]
        # Exactly what apps.moderation.permissions checks; the moderators group has these.
        permissions = [
            ("review_submissions", "Can approve and reject submissions"),
            ("review_claims", "Can approve and reject author claims"),
            ("handle_flags", "Can see and dismiss flags"),
            ("hide_comments", "Can hide and restore comments"),
            ("lock_discussions", "Can lock and unlock discussions"),
            ("edit_papers", "Can edit papers, remove them from a day and merge duplicates"),
            ("sanction_users", "Can warn, suspend, ban and unban users"),
        ]

    def __str__(self) -> str:
        return f"{self.moderator_name or 'system'} {self.get_action_display()} {self.target_label}"
