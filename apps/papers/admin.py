from django.contrib import admin

from apps.papers.models import Author, Authorship, DailyEntry, Paper


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
