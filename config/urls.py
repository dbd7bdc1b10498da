from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from apps.core.views import csrf, healthz

# The 503 page when the database does not answer (apps/core/unavailable.py), else the 500 page.
handler500 = "apps.core.unavailable.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("csrf", csrf, name="csrf"),
    path("", include("apps.users.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.moderation.urls")),
    path("", include("apps.submissions.urls")),
    path("", include("apps.ingestion.urls")),
    path("", include("apps.papers.urls")),
    path("", include("apps.votes.urls")),
    path("", include("apps.comments.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.digests.urls")),
    path("", include("apps.profiles.urls")),
    # Generated thumbnails; a reverse proxy may serve MEDIA_ROOT itself instead (README).
    # At most the 200 characters of Paper.thumbnail: a longer name is a 404, not an OSError.
    re_path(
        r"^media/(?P<path>thumbnails/.{1,189})$", serve, {"document_root": settings.MEDIA_ROOT}
    ),
]
