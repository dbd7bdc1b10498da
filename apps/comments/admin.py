from django.contrib import admin

from apps.comments.models import Comment, CommentVote


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["pk", "paper", "author", "created_at", "upvotes_count", "is_deleted"]
    list_filter = ["is_deleted"]
    search_fields = ["body", "author__username", "paper__arxiv_id"]
    raw_id_fields = ["paper", "author", "parent"]
    readonly_fields = ["body_html", "upvotes_count"]
    list_select_related = ["paper", "author"]


@admin.register(CommentVote)
class CommentVoteAdmin(admin.ModelAdmin):
    list_display = ["comment", "user", "created_at"]
    raw_id_fields = ["comment", "user"]
