from django.apps import AppConfig


class VotesConfig(AppConfig):
    name = "apps.votes"
    label = "votes"

    def ready(self) -> None:
        from apps.votes import receivers  # noqa: F401 - connects the account receivers
