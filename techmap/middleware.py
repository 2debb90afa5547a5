"""Project middleware: request ids and the request log, health checks and metrics on any
host, and the GOV.UK error pages in development.

Order in ``settings.MIDDLEWARE``: :class:`RequestIdMiddleware` first (every response gets
its id, every log line of the request carries it), then :class:`OperationsMiddleware`
before anything that validates the Host header, and :class:`GovukErrorPagesMiddleware`
last, nearest the views.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver, get_urlconf

from techmap import request_context

request_logger = logging.getLogger("techmap.request")
error_logger = logging.getLogger("django.request")

# An id from a proxy in front is kept when it is a plain token; anything else is replaced.
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give each request an id (``X-Request-ID``) and log one line when it is answered.

    The id comes from the proxy's ``X-Request-ID`` when that is a plain token, otherwise a
    new UUID. It is on ``request.request_id``, in the response header, on every log record
    made while the request runs (``techmap.logs.RequestIdFilter``) and on the 500 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_context.request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            request_logger.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            request_context.request_id.reset(token)


class OperationsMiddleware:
    """Answer ``/healthz``, ``/readyz`` and ``/metrics`` before anything reads the Host header.

    Docker's HEALTHCHECK, load balancers and Prometheus call the container by address
    (``127.0.0.1:8000``, ``web:8000``), which ``ALLOWED_HOSTS`` rightly refuses for every
    other page, and over plain HTTP inside the private network, which
    ``SECURE_SSL_REDIRECT`` would redirect. The health checks reveal nothing a host name
    would protect; ``/metrics`` asks for its own bearer token.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in ("/healthz", "/readyz", "/metrics"):
            from techmap import metrics, views

            view = {"/healthz": views.healthz, "/readyz": views.readyz}.get(path, metrics.metrics)
            try:
                return view(request)
            except Http404:
                return HttpResponse("Not found\n", status=404, content_type="text/plain")
        return self.get_response(request)


class GovukErrorPagesMiddleware:
    """With ``DEBUG`` on, show the GOV.UK 404 and 500 pages, not Django's debug pages.

    Development then looks like production. ``DEBUG_PAGES=1`` brings Django's debug pages
    back. With ``DEBUG`` off this does nothing: Django already uses the handlers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def active() -> bool:
        return settings.DEBUG and not getattr(settings, "DEBUG_PAGES", False)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.active() and not self._resolves(request):
            from techmap import views

            return views.page_not_found(request, Http404())
        return self.get_response(request)

    @staticmethod
    def _resolves(request: HttpRequest) -> bool:
        try:
            get_resolver(get_urlconf()).resolve(request.path_info)
        except Resolver404:
            return False
        return True

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self.active():
            return None
        from django.core.exceptions import PermissionDenied

        from techmap import views

        if isinstance(exception, Http404):
            return views.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return None  # Django already uses the 403 handler with DEBUG on
        error_logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        return views.server_error(request)
