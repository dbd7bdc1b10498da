from django.urls import path, register_converter

from apps.papers import views
from apps.papers.converters import ArxivIdConverter, IsoDateConverter

register_converter(IsoDateConverter, "isodate")
register_converter(ArxivIdConverter, "arxiv_id")

app_name = "papers"

urlpatterns = [
    path("", views.latest_day, name="home"),
    path("papers", views.latest_day, name="latest"),
    path("papers/date/<isodate:day>", views.day_page, name="day"),
    path("papers/search", views.search, name="search"),
    path("papers/<arxiv_id:arxiv_id>", views.paper_detail, name="detail"),
]
