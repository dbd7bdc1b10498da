from django.urls import path

from apps.ingestion import views

app_name = "ingestion"

urlpatterns = [
    path("papers/new", views.new_latest, name="new_latest"),
    path("papers/new/<isodate:day>", views.new_day, name="new_day"),
]
