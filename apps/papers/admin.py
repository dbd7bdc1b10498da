from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from apps.papers import services
from apps.papers.models import Author, AuthorClaim, Authorship, DailyEntry, Paper


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    raw_id_fields = ("author",)
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "title", "published_on", "upvotes_count", "comments_count")
    search_fields = ("arxiv_id", "title")
    date_hierarchy = "published_on"
    readonly_fields = ("upvotes_count", "comments_count", "created_at", "modified_at")
    inlines = [AuthorshipInline]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Authorship)
class AuthorshipAdmin(admin.ModelAdmin):
    list_display = ("paper", "author", "position")
    raw_id_fields = ("paper", "author")


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ("paper", "day", "submitted_by", "submitted_at")
    list_filter = ("day",)
    raw_id_fields = ("paper", "submitted_by")
    date_hierarchy = "day"


def _decide(modeladmin, request, queryset, service, verb: str) -> None:
    done = 0
    for claim in queryset.select_related("authorship"):
        try:
            service(claim=claim, moderator=request.user)
        except (PermissionDenied, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            modeladmin.message_user(request, f"{claim}: {message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb} {done} claim(s).", messages.SUCCESS)


@admin.action(description="Approve selected claims")
def approve_claims(modeladmin, request, queryset) -> None:
    _decide(modeladmin, request, queryset, services.author_claim_approve, "Approved")


@admin.action(description="Reject selected claims")
def reject_claims(modeladmin, request, queryset) -> None:
    _decide(modeladmin, request, queryset, services.author_claim_reject, "Rejected")


@admin.register(AuthorClaim)
class AuthorClaimAdmin(admin.ModelAdmin):
    list_display = ("user", "authorship", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("user", "authorship__author", "authorship__paper", "decided_by")
    search_fields = ("user__username", "authorship__author__name", "authorship__paper__arxiv_id")
    raw_id_fields = ("user", "authorship")
    readonly_fields = ("status", "created_at", "decided_by", "decided_at")
    actions = [approve_claims, reject_claims]
