"""The Django admin stays for staff, but what it does to comments, papers, claims, submissions
and accounts goes through the moderation services: the permission checked, counters
recomputed, the public log written and the user told, exactly as on the site.

The lower apps register plain admins; this module registers them again with the decisions
as actions (each one asks for the reason on an intermediate page where the service needs
one) and makes what only the services may change read-only. Nothing that would cascade is
deleted here: comments are hidden, papers unlisted or merged on the site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from apps.comments.admin import CommentAdmin
from apps.comments.models import Comment
from apps.core.admin_actions import ReadOnlyAdminMixin, apply_to_each
from apps.moderation import services
from apps.moderation.forms import ReasonForm
from apps.moderation.models import Flag, ModerationAction
from apps.papers.admin import AuthorClaimAdmin, DailyEntryAdmin, PaperAdmin
from apps.papers.models import AuthorClaim, DailyEntry, Paper
from apps.submissions.admin import SubmissionAdmin
from apps.submissions.models import Submission
from apps.users.admin import UserAdmin
from apps.users.models import User

REASON_TEMPLATE = "admin/moderation/reason.html"
SUSPENSION_DAYS = 7

# A decision on one item: (moderator, item, reason, note) -> anything.
Decision = Callable[[User, Any, str, str], object]


def _decide_with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    decide: Decision,
    done: str,
    reason_required: bool = True,
) -> TemplateResponse | None:
    """An action that asks for the reason first: the intermediate page, then (``apply``)
    ``decide`` for each selected item through ``apply_to_each``, which reports refusals."""
    form = ReasonForm(request.POST if request.POST.get("apply") else None)
    form.fields["reason"].required = reason_required
    if form.is_bound and form.is_valid():
        reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
        apply_to_each(
            modeladmin,
            request,
            queryset,
            lambda item: decide(request.user, item, reason, note),
            done=done,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        "form": form,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, REASON_TEMPLATE, context, status=400 if form.is_bound else 200)


# --- Comments -----------------------------------------------------------------------------


class CommentModerationAdmin(CommentAdmin):
    """Comments are hidden and restored, never deleted (a deletion would take the replies
    and skip the recount); where a comment sits and whether it shows are read-only."""

    list_display = [*CommentAdmin.list_display, "visibility"]
    list_filter = ["visibility", *CommentAdmin.list_filter]
    readonly_fields = [
        *CommentAdmin.readonly_fields,
        "paper",
        "author",
        "parent",
        "depth",
        "is_deleted",
        "visibility",
    ]
    actions = ["hide_comments", "restore_comments"]

    def has_add_permission(self, request) -> bool:
        return False  # comments are written on the site, where counters and notices follow

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Remove (hide) selected comments")
    def hide_comments(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset.select_related("paper", "author"),
            title="Remove comments",
            decide=lambda moderator, comment, reason, note: services.comment_hide(
                moderator=moderator, comment=comment, reason=reason, note=note
            ),
            done="Removed {count} comment(s).",
        )

    @admin.action(description="Restore selected comments")
    def restore_comments(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset.select_related("paper", "author"),
            title="Restore comments",
            decide=lambda moderator, comment, reason, note: services.comment_restore(
                moderator=moderator, comment=comment, reason=reason, note=note
            ),
            done="Restored {count} comment(s).",
            reason_required=False,
        )


# --- Papers -------------------------------------------------------------------------------


class PaperModerationAdmin(ReadOnlyAdminMixin, PaperAdmin):
    """Papers are read-only here: their metadata is corrected on the site's edit page (which
    asks for the reason and writes the log), duplicates merged there; locks and unlisting
    are actions. Never deleted: votes, comments and claims would go with them."""

    list_display = [*PaperAdmin.list_display, "discussion_locked"]
    list_filter = ["discussion_locked"]
    readonly_fields = [*PaperAdmin.readonly_fields, "on_the_site"]
    actions = ["lock_discussions", "unlock_discussions", "remove_from_day"]

    @admin.display(description="On the site")
    def on_the_site(self, paper: Paper) -> str:
        return format_html(
            '<a href="{}">Page</a> · <a href="{}">Edit the metadata</a> · '
            '<a href="{}">Merge into another paper</a>',
            paper.get_absolute_url(),
            reverse("moderation:paper_edit", args=[paper.arxiv_id]),
            reverse("moderation:paper_merge", args=[paper.arxiv_id]),
        )

    @admin.action(description="Lock the discussion of selected papers")
    def lock_discussions(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title="Lock discussions",
            decide=lambda moderator, paper, reason, note: services.discussion_lock(
                moderator=moderator, paper=paper, reason=reason, note=note
            ),
            done="Locked {count} discussion(s).",
        )

    @admin.action(description="Unlock the discussion of selected papers")
    def unlock_discussions(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title="Unlock discussions",
            decide=lambda moderator, paper, reason, note: services.discussion_unlock(
                moderator=moderator, paper=paper, reason=reason, note=note
            ),
            done="Unlocked {count} discussion(s).",
            reason_required=False,
        )

    @admin.action(description="Remove selected papers from their day")
    def remove_from_day(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title="Remove papers from their day",
            decide=lambda moderator, paper, reason, note: services.paper_remove_from_day(
                moderator=moderator, paper=paper, reason=reason, note=note
            ),
            done="Removed {count} paper(s) from their day.",
        )


# --- Author claims and submissions --------------------------------------------------------


class AuthorClaimModerationAdmin(AuthorClaimAdmin):
    actions = ["approve_claims", "reject_claims"]

    @admin.action(description="Approve selected claims")
    def approve_claims(self, request, queryset) -> None:
        apply_to_each(
            self,
            request,
            queryset.select_related("user", "authorship__author", "authorship__paper"),
            lambda claim: services.claim_approve(moderator=request.user, claim=claim),
            done="Approved {count} claim(s).",
        )

    @admin.action(description="Reject selected claims")
    def reject_claims(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset.select_related("user", "authorship__author", "authorship__paper"),
            title="Reject author claims",
            decide=lambda moderator, claim, reason, note: services.claim_reject(
                moderator=moderator, claim=claim, reason=reason, note=note
            ),
            done="Rejected {count} claim(s).",
        )


class SubmissionModerationAdmin(SubmissionAdmin):
    actions = ["approve_submissions", "reject_submissions"]

    @admin.action(description="Approve selected pending submissions for today's list")
    def approve_submissions(self, request, queryset) -> None:
        apply_to_each(
            self,
            request,
            queryset.select_related("submitted_by"),
            lambda item: services.submission_approve(moderator=request.user, submission=item),
            done="Approved {count} submission(s).",
        )

    @admin.action(description="Reject selected pending submissions")
    def reject_submissions(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset.select_related("submitted_by"),
            title="Reject submissions",
            decide=lambda moderator, item, reason, note: services.submission_reject(
                moderator=moderator, submission=item, reason=reason, note=note
            ),
            done="Rejected {count} submission(s).",
        )


# --- Accounts -----------------------------------------------------------------------------


class UserModerationAdmin(UserAdmin):
    """Bans and suspensions are actions (the user is told, the log written), not fields."""

    list_display = [*UserAdmin.list_display, "suspended_until"]
    readonly_fields = [*UserAdmin.readonly_fields, "is_banned", "suspended_until"]
    actions = ["ban_users", "unban_users", "suspend_users"]

    @admin.action(description="Ban selected users")
    def ban_users(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title="Ban users",
            decide=lambda moderator, user, reason, note: services.user_ban(
                moderator=moderator, user=user, reason=reason, note=note
            ),
            done="Banned {count} user(s).",
        )

    @admin.action(description="Lift the ban or suspension of selected users")
    def unban_users(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title="Lift bans and suspensions",
            decide=lambda moderator, user, reason, note: services.user_unban(
                moderator=moderator, user=user, reason=reason, note=note
            ),
            done="Lifted the restriction on {count} user(s).",
        )

    @admin.action(description=f"Suspend selected users for {SUSPENSION_DAYS} days")
    def suspend_users(self, request, queryset):
        return _decide_with_reason(
            self,
            request,
            queryset,
            title=f"Suspend users for {SUSPENSION_DAYS} days",
            decide=lambda moderator, user, reason, note: services.user_suspend(
                moderator=moderator, user=user, days=SUSPENSION_DAYS, reason=reason, note=note
            ),
            done=f"Suspended {{count}} user(s) for {SUSPENSION_DAYS} days.",
        )


# --- Flags and the log: read-only ---------------------------------------------------------


class FlagAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who flagged what: for staff only (the site never shows flag authors to users)."""

    list_display = ["created_at", "reason", "paper", "comment", "flagged_by", "resolution"]
    list_filter = ["resolution", "reason"]
    list_select_related = ["paper", "comment", "flagged_by"]
    search_fields = ["paper__arxiv_id", "flagged_by__username", "text"]
    date_hierarchy = "created_at"


class ModerationActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The log is written by the services only and never rewritten."""

    list_display = ["created_at", "moderator_name", "action", "target_label", "reason"]
    list_filter = ["action", "target_type"]
    search_fields = ["moderator_name", "target_label", "reason"]
    date_hierarchy = "created_at"


class DailyEntryModerationAdmin(ReadOnlyAdminMixin, DailyEntryAdmin):
    """Read-only: papers go on a day through submissions and come off through "Remove
    selected papers from their day" (the log written, the submitter told)."""


for model, model_admin in [
    (Comment, CommentModerationAdmin),
    (DailyEntry, DailyEntryModerationAdmin),
    (Paper, PaperModerationAdmin),
    (AuthorClaim, AuthorClaimModerationAdmin),
    (Submission, SubmissionModerationAdmin),
    (User, UserModerationAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
admin.site.register(Flag, FlagAdmin)
admin.site.register(ModerationAction, ModerationActionAdmin)
