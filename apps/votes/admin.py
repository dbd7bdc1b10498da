from django.contrib import admin

from apps.votes.models import Vote


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    raw_id_fields = ["paper", "user"]
    list_select_related = ["paper", "user"]
