from django.contrib import admin

from apps.papers.models import Author, AuthorClaim, Authorship, DailyEntry, Paper


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    raw_id_fields = ("author",)
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    """The plain listing; apps.moderation.admin adds the actions, through its services."""

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


@admin.register(AuthorClaim)
class AuthorClaimAdmin(admin.ModelAdmin):
    """Decisions are admin actions of apps.moderation.admin, through the moderation services."""

    list_display = ("user", "authorship", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("user", "authorship__author", "authorship__paper", "decided_by")
    search_fields = ("user__username", "authorship__author__name", "authorship__paper__arxiv_id")
    raw_id_fields = ("user", "authorship")
    readonly_fields = ("status", "created_at", "decided_by", "decided_at")
