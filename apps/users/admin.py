from allauth.account.adapter import get_adapter
from allauth.decorators import rate_limit
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.users.models import User
from apps.users.services import user_delete


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """The admin's log-in under the site's log-in limits (``ACCOUNT_RATE_LIMITS["login_failed"]``).

    Authenticates through allauth's adapter, which counts each failure per address and per
    account name and, past the limit, refuses the form before checking the password, so the
    right password is refused too until the window passes.
    """

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, username=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


# Every instance of the admin site needs both: the form above, and allauth's per-address limit
# on log-in POSTs (``ACCOUNT_RATE_LIMITS["login"]``, answered with 429) around the view.
admin.site.login_form = RateLimitedAdminLoginForm
admin.site.login = rate_limit(action="login")(admin.site.login)


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
