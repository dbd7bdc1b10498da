from django.urls import path

from apps.digests.views import archive, subscriptions

app_name = "digests"

urlpatterns = [
    path("digest", subscriptions.digest_home, name="home"),
    path("digest/subscribe", subscriptions.subscribe, name="subscribe"),
    path("digest/settings", subscriptions.account_settings, name="settings"),
    path("digest/confirm/<str:token>", subscriptions.confirm, name="confirm"),
    path("digest/unsubscribe/<str:token>", subscriptions.unsubscribe, name="unsubscribe"),
    path("digest/manage/<str:token>", subscriptions.manage, name="manage"),
    path("digest/preview", archive.preview, name="preview"),
    path("digest/archive", archive.archive, name="archive"),
    path("digest/daily/<isodate:day>", archive.daily_digest, name="daily"),
    path("digest/weekly/<isoweek:week>", archive.weekly_digest, name="weekly"),
]
