from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from apps.core.shared_cache import install_write_watch

        connection_created.connect(install_write_watch, dispatch_uid="shared_pages_write_watch")
