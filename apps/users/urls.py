from django.urls import path, re_path

from apps.papers.arxiv_ids import ARXIV_ID_PATTERN
from apps.users import views

app_name = "users"

urlpatterns = [
    path("accounts/settings/", views.profile_settings, name="settings"),
    path("accounts/delete/", views.account_delete, name="delete"),
    path("users/<str:username>", views.profile, name="profile"),
    path("users/<str:username>/<str:tab>", views.profile, name="profile_tab"),
    re_path(
        rf"^papers/(?P<arxiv_id>{ARXIV_ID_PATTERN})/claim$", views.author_claim_create, name="claim"
    ),
]
