from django.urls import path, re_path

from apps.api import views

app_name = "api"

urlpatterns = [
    path("daily_papers", views.daily_papers, name="daily_papers"),
    path("papers/search", views.search, name="search"),
    path("papers/<path:paper_id>", views.paper_info, name="paper"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
