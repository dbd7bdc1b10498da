from django.contrib import admin
from django.urls import include, path

from apps.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("apps.users.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.papers.urls")),
    path("", include("apps.votes.urls")),
    path("", include("apps.comments.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.profiles.urls")),
]
