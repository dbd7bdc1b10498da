from django.contrib import admin

from apps.submissions.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only: statuses change through the services (which place the daily entries);
    apps.moderation.admin adds approve and reject actions through the moderation services."""

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

    def has_add_permission(self, request) -> bool:
        return False
