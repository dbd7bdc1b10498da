"""RSS 2.0 and Atom feeds of the daily papers and of the trending list."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from apps.core.shared_cache import SharedFeed
from apps.papers import selectors
from apps.papers.models import DailyEntry
from apps.papers.templatetags.paper_tags import author_names, math_excerpt

FEED_SIZE = 50


class _EntryFeed(SharedFeed):
    """Items are DailyEntry rows carrying their paper, submitter and ``author_names``."""

    def item_title(self, item: DailyEntry) -> str:
        return item.paper.title

    def item_description(self, item: DailyEntry) -> str:
        # Readers treat descriptions as HTML: an abstract's "<" must stay text.
        return escape(math_excerpt(item.paper.abstract, 1200))

    def item_link(self, item: DailyEntry) -> str:
        return item.paper.get_absolute_url()

    def item_guid(self, item: DailyEntry) -> str:
        return f"arxiv:{item.paper.arxiv_id}"

    item_guid_is_permalink = False

    def item_author_name(self, item: DailyEntry) -> str:
        return author_names(item.author_names, 10)

    def item_pubdate(self, item: DailyEntry) -> dt.datetime:
        return item.submitted_at

    def item_updateddate(self, item: DailyEntry) -> dt.datetime:
        return item.paper.modified_at


class DailyPapersFeed(_EntryFeed):
    title = "Paperboard: daily papers"
    description = "New research papers every day, ranked by the community's upvotes."

    def link(self) -> str:
        return reverse("papers:latest")

    def items(self) -> list[DailyEntry]:
        """The latest day's papers in page order, then the days before it."""
        return list(selectors.daily_entries_recent(limit=FEED_SIZE))


class DailyPapersAtomFeed(DailyPapersFeed):
    feed_type = Atom1Feed
    subtitle = DailyPapersFeed.description


class TrendingPapersFeed(_EntryFeed):
    title = "Paperboard: trending papers"
    description = "Papers ranked by upvotes, recent votes weighing more."

    def link(self) -> str:
        return reverse("papers:trending")

    def items(self) -> list[DailyEntry]:
        return list(selectors.daily_entries_trending(limit=FEED_SIZE))


class TrendingPapersAtomFeed(TrendingPapersFeed):
    feed_type = Atom1Feed
    subtitle = TrendingPapersFeed.description
