from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError

from apps.users import services
from apps.users.models import AuthorClaim, User


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
