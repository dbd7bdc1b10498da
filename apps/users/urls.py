from django.urls import path, re_path

from apps.users import views
from apps.users.handles import HANDLE_URL_PATTERN

app_name = "users"

urlpatterns = [
    path("accounts/settings/", views.profile_settings, name="settings"),
    path("accounts/delete/", views.account_delete, name="delete"),
    path(
        "accounts/reauthenticate/github/",
        views.reauthenticate_github,
        name="reauthenticate_github",
    ),
    re_path(
        rf"^users/(?P<username>{HANDLE_URL_PATTERN})/avatar\.svg$", views.avatar, name="avatar"
    ),
]
