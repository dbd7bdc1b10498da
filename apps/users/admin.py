from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.users.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
                )
            },
        ),
    )
    list_display = ("username", "email", "display_name", "is_staff", "is_banned")
    list_filter = (*BaseUserAdmin.list_filter, "is_banned")
