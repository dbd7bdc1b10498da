from django.contrib import admin

from apps.votes.models import CommentVote, Vote


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]
    list_select_related = ["paper", "user"]


@admin.register(CommentVote)
class CommentVoteAdmin(admin.ModelAdmin):
    list_display = ["comment", "user", "created_at"]
    raw_id_fields = ["comment", "user"]
