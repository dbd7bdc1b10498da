"""Django's ``diffsettings`` with secrets hidden as on the DEBUG error page (apps.core.secrets):
its output gets pasted into issues and chat."""

from __future__ import annotations

from typing import Any

from django.conf import Settings, global_settings, settings
from django.core.management.commands import diffsettings

from apps.core.secrets import SecretsMaskingFilter


def _masked(module: Any) -> dict[str, str]:
    report_filter = SecretsMaskingFilter()
    return {
        key: repr(report_filter.cleanse_setting(key, getattr(module, key)))
        for key in dir(module)
        if key.isupper() and not key.startswith("_")
    }


class Command(diffsettings.Command):
    def handle(self, **options: Any) -> str:
        if not settings.configured:
            settings._setup()
        default = options["default"]
        user_settings = _masked(settings._wrapped)
        default_settings = _masked(Settings(default) if default else global_settings)
        output = {"hash": self.output_hash, "unified": self.output_unified}[options["output"]]
        return "\n".join(output(user_settings, default_settings, **options))
