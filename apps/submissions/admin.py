from django.contrib import admin

from apps.core.admin_actions import apply_to_each
from apps.submissions import services
from apps.submissions.models import Submission


@admin.action(description="Approve selected pending submissions for today's list")
def approve_submissions(modeladmin, request, queryset) -> None:
    apply_to_each(
        modeladmin,
        request,
        queryset,
        lambda item: services.submission_approve(moderator=request.user, submission=item),
        done="Approved {count} submission(s).",
    )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-mostly: statuses change through the services (which place the daily entries)."""

    list_display = ("arxiv_id", "submitted_by", "status", "created_at", "decided_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("submitted_by", "decided_by")
    search_fields = ("arxiv_id", "submitted_by__username")
    date_hierarchy = "created_at"
    fields = (
        "arxiv_id",
        "submitted_by",
        "paper",
        "status",
        "message",
        "created_at",
        "updated_at",
        "decided_at",
        "decided_by",
    )
    readonly_fields = fields
    actions = [approve_submissions]

    def has_add_permission(self, request) -> bool:
        return False
