from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "apps.papers"
    label = "papers"
