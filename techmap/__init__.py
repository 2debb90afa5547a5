"""Techmap project package: settings, URLs, Celery app and the site shell."""

from techmap.celery import app as celery_app

__all__ = ["celery_app"]
