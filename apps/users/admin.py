from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.users.models import User
from apps.users.services import user_delete


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """apps.moderation.admin makes the standing (ban, suspension) read-only and changes it
    with actions, through the moderation services."""

    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "bio",
                    "homepage_url",
                    "github_url",
                    "scholar_url",
                    "orcid_url",
                    "is_banned",
                    "suspended_until",
                )
            },
        ),
    )
    list_display = ("username", "email", "display_name", "is_staff", "is_banned")
    list_filter = (*BaseUserAdmin.list_filter, "is_banned")

    def delete_model(self, request, obj: User) -> None:
        """As the account's own deletion: votes removed and recounted, comments anonymised."""
        user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            user_delete(user=user)
