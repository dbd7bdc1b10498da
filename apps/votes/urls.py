from django.urls import path

from apps.votes import views

app_name = "votes"

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/vote", views.paper_vote, name="paper"),
    path("comments/<int:pk>/vote", views.comment_vote, name="comment"),
]
