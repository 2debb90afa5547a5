"""What every entry point (manage.py, WSGI, ASGI, Celery) does before Django loads."""

import os
import sys


def prepare_environment() -> None:
    """Point at the settings and, outside production, at the embedded services."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techmap.settings")
    from techmap import embedded

    if embedded.wanted():
        embedded.ensure_services()


def load_settings_or_exit() -> None:
    """Import settings now, so a missing variable is one line on stderr, not a traceback."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    # MissingSetting cannot be imported from techmap.settings first: importing that
    # module is what raises it. It is an ImproperlyConfigured, recognised by name.
    try:
        settings.INSTALLED_APPS  # noqa: B018 - forces the settings module to load
    except ImproperlyConfigured as error:
        if type(error).__name__ != "MissingSetting":
            raise
        sys.stderr.write(f"techmap: {error}\n")
        raise SystemExit(1) from None
