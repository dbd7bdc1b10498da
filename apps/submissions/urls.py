from django.urls import path

from apps.submissions import views

app_name = "submissions"

urlpatterns = [
    path("papers/submit", views.submit, name="submit"),
    path("papers/submit/<int:pk>", views.submission_status, name="status"),
    path("papers/submit/<int:pk>/retry", views.submission_retry, name="retry"),
]
