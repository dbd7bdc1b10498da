from django.urls import path

import apps.papers.urls  # noqa: F401 - registers the arxiv_id path converter
from apps.votes import views

app_name = "votes"

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/vote", views.paper_vote, name="paper"),
]
