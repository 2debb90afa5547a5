from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "SERVICE_NAME": "Techmap",
        "PHASE": "beta",
        "DJANGO_ENV": settings.DJANGO_ENV,
    }
