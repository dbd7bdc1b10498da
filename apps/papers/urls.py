from django.urls import path

from apps.papers import feeds, views

app_name = "papers"

urlpatterns = [
    path("", views.latest_day, name="home"),
    path("papers", views.latest_day, name="latest"),
    path("papers/date", views.period_jump, name="jump"),
    path("papers/date/<isodate:day>", views.day_page, name="day"),
    path("papers/week/<isoweek:week>", views.week_page, name="week"),
    path("papers/month/<month:month>", views.month_page, name="month"),
    path("papers/trending", views.trending, name="trending"),
    path("papers/search", views.search, name="search"),
    path("papers/<arxiv_id:arxiv_id>.md", views.paper_markdown, name="detail_md"),
    path("papers/<arxiv_id:arxiv_id>", views.paper_detail, name="detail"),
    path("papers/<arxiv_id:arxiv_id>/claim", views.author_claim_create, name="claim"),
    path(
        "papers/<arxiv_id:arxiv_id>/claims/<int:pk>/again",
        views.author_claim_ask_again,
        name="claim_again",
    ),
    path("feeds/daily.rss", feeds.DailyPapersFeed(), name="feed_daily_rss"),
    path("feeds/daily.atom", feeds.DailyPapersAtomFeed(), name="feed_daily_atom"),
    path("feeds/trending.rss", feeds.TrendingPapersFeed(), name="feed_trending_rss"),
    path("feeds/trending.atom", feeds.TrendingPapersAtomFeed(), name="feed_trending_atom"),
]
