"""The site shell: home, static pages, health checks and error pages."""

from __future__ import annotations

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.api import errors as api_errors


def home(request: HttpRequest) -> HttpResponse:
    """The front page for visitors; a signed-in user's front page is their home."""
    if request.user.is_authenticated:
        return redirect("user_home")
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


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (a Host not allowed, a body over the size limit, …)."""
    if api_errors.is_api_request(request):
        return api_errors.django_error_response(request, 400)
    from django.views import defaults

    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api_errors.is_api_request(request):  # never an HTML page under /api/v1/
        return api_errors.django_error_response(request, 403)
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if api_errors.is_api_request(request):
        return api_errors.django_error_response(request, 404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if api_errors.is_api_request(request):
        return api_errors.django_error_response(request, 500)
    # No request context: the failure may be in a context processor or the database.
    # The request id alone is passed: a user who quotes it finds the logged traceback.
    from django.template import loader

    context = {"request_id": getattr(request, "request_id", None)}
    return HttpResponse(loader.get_template("errors/500.html").render(context), status=500)


def api_examples(base: str, slug: str) -> list[dict[str, str]]:
    """The curl examples on the API page (tests run every one of them against a live server)."""
    token = '-H "Authorization: Bearer $TECHMAP_TOKEN"'
    return [
        {
            "title": "Search published suppliers",
            "text": "SMEs offering penetration testing in London, 5 a page, with the counts "
            "for each filter.",
            "command": f'curl "{base}/api/v1/suppliers/?q=penetration+testing&region=TLI'
            '&sme=true&page_size=5&facets=true"',
        },
        {
            "title": "Read one supplier",
            "text": "Send the ETag you were given back in If-None-Match: a 304 means nothing "
            "changed.",
            "command": f'curl -i "{base}/api/v1/suppliers/{slug}/"',
        },
        {
            "title": "List the capability codes",
            "text": "Use these codes in the capability filter; regions, certifications and "
            "frameworks work the same way.",
            "command": f'curl "{base}/api/v1/capabilities/?page_size=100"',
        },
        {
            "title": "Download every published supplier",
            "text": "As CSV, in the same format as the bulk import, or as JSON Lines.",
            "command": f'curl -o techmap-suppliers.csv "{base}/api/v1/suppliers/export.csv"',
        },
        {
            "title": "Your own organisations, with a token",
            "text": "Every profile you can edit, including drafts.",
            "command": f'curl {token} "{base}/api/v1/my/suppliers/"',
        },
        {
            "title": "Change a profile, with a read and write token",
            "text": "Changes go through the same checks as the website.",
            "command": f'curl -X PATCH {token} -H "Content-Type: application/json" '
            f'-d \'{{"summary": "Secure cloud hosting for the public sector."}}\' '
            f'"{base}/api/v1/my/suppliers/{slug}/"',
        },
    ]


def api_page(request: HttpRequest) -> HttpResponse:
    """/api/: how to get a token and call the API, with curl examples that work."""
    from suppliers.models import Supplier  # the one example slug; techmap holds no logic

    slug = (
        Supplier.objects.filter(status=Supplier.Status.PUBLISHED)
        .order_by("pk")
        .values_list("slug", flat=True)
        .first()
    ) or "kestrel-ledger-systems"
    base = f"{request.scheme}://{request.get_host()}"
    return render(
        request,
        "api/index.html",
        {"examples": api_examples(base, slug), "base": base, "slug": slug},
    )
