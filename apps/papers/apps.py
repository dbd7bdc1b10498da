from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "apps.papers"
    label = "papers"

    def ready(self) -> None:
        # Once, for every app's URLs (votes and comments route by arXiv id too): URL modules
        # are imported after the app registry is ready.
        from django.urls import register_converter

        from apps.papers.converters import (
            ArxivIdConverter,
            IsoDateConverter,
            IsoWeekConverter,
            MonthConverter,
        )

        register_converter(IsoDateConverter, "isodate")
        register_converter(IsoWeekConverter, "isoweek")
        register_converter(MonthConverter, "month")
        register_converter(ArxivIdConverter, "arxiv_id")
