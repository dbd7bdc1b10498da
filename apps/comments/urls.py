from django.urls import path

from apps.comments import views

app_name = "comments"

urlpatterns = [
    path("papers/<arxiv_id:arxiv_id>/comments", views.paper_comments, name="list"),
    path("papers/<arxiv_id:arxiv_id>/comments/<int:pk>", views.comment_permalink, name="detail"),
    path(
        "papers/<arxiv_id:arxiv_id>/comments/<int:pk>/replies",
        views.comment_replies,
        name="replies",
    ),
    path("comments/preview", views.comment_preview, name="preview"),
    path("comments/<int:pk>/reply", views.comment_reply, name="reply"),
    path("comments/<int:pk>/edit", views.comment_edit, name="edit"),
    path("comments/<int:pk>/delete", views.comment_delete, name="delete"),
]
