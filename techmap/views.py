"""The site shell: home, static pages, health checks and error pages."""

from __future__ import annotations

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from techmap import api


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def page(request: HttpRequest, template: str) -> HttpResponse:
    return render(request, template)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process is up and answering. Touches nothing else."""
    return HttpResponse("ok", content_type="text/plain")


def _check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_redis() -> str:
    client = cache._cache.get_client(write=True)  # the same Redis that Celery uses
    client.ping()
    return "ok"


def _check_migrations() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not plan else f"{len(plan)} migrations not applied"


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, Redis and migrations each "ok" or the error; 503 if any fails."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("migrations", _check_migrations),
    ):
        try:
            checks[name] = check()
        except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
            checks[name] = f"error: {type(error).__name__}: {error}"[:300]
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "error", "checks": checks}, status=200 if ready else 503
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api.is_api_request(request):  # never an HTML page under /api/v1/
        return api.django_error_response(request, 403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api.is_api_request(request):
        return api.django_error_response(request, 404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if api.is_api_request(request):
        return api.django_error_response(request, 500)
    # No request context: the failure may be in a context processor or the database.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
