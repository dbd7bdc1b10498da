#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    except ImproperlyConfigured:
        pass  # reported by Django below, before anything is started
    else:
        from config import embedded

        # Settings only say where the embedded servers are: a command starts the ones it
        # needs, and the last process using them stops them when it exits.
        try:
            embedded.start()
        except embedded.EmbeddedServiceError as exc:
            sys.exit(f"Paperboard: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
