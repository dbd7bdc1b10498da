from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications", views.notification_list, name="list"),
    path("notifications/read-all", views.notification_read_all, name="read_all"),
    path("notifications/settings", views.notification_settings, name="settings"),
    path("notifications/<int:pk>/read", views.notification_read, name="read"),
]
