from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from apps.submissions import services
from apps.submissions.models import Submission


@admin.action(description="Approve selected pending submissions for today's list")
def approve_submissions(modeladmin, request, queryset) -> None:
    done = 0
    for submission in queryset:
        try:
            services.submission_approve(moderator=request.user, submission=submission)
        except (PermissionDenied, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(request, f"{submission}: {message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"Approved {done} submission(s).", messages.SUCCESS)


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
