from django.urls import path, re_path

from apps.papers.arxiv_ids import ARXIV_ID_PATTERN
from apps.users import views

# Any handle an account can have (Django's own rule included, for accounts made in the admin);
# anything else is a 404 before it reaches the database.
HANDLE_URL_PATTERN = r"[\w.@+-]{1,150}"

app_name = "users"

urlpatterns = [
    path("accounts/settings/", views.profile_settings, name="settings"),
    path("accounts/delete/", views.account_delete, name="delete"),
    re_path(rf"^users/(?P<username>{HANDLE_URL_PATTERN})$", views.profile, name="profile"),
    re_path(
        rf"^users/(?P<username>{HANDLE_URL_PATTERN})/avatar\.svg$", views.avatar, name="avatar"
    ),
    re_path(
        rf"^users/(?P<username>{HANDLE_URL_PATTERN})/(?P<tab>[a-z]+)$",
        views.profile,
        name="profile_tab",
    ),
    re_path(
        rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/claim$", views.author_claim_create, name="claim"
    ),
]
