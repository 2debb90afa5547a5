"""WSGI entry point (gunicorn techmap.wsgi)."""

from techmap.startup import load_settings_or_exit, prepare_environment

prepare_environment()
load_settings_or_exit()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
