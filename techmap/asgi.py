"""ASGI entry point."""

from techmap.startup import load_settings_or_exit, prepare_environment

prepare_environment()
load_settings_or_exit()

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
