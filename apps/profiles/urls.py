from django.urls import re_path

from apps.profiles import views
from apps.users.handles import HANDLE_URL_PATTERN

app_name = "profiles"

urlpatterns = [
    re_path(rf"^users/(?P<username>{HANDLE_URL_PATTERN})$", views.profile, name="detail"),
    re_path(
        rf"^users/(?P<username>{HANDLE_URL_PATTERN})/(?P<tab>[a-z]+)$",
        views.profile,
        name="tab",
    ),
]
