"""/api/v1/: the schema, its docs, and each app's endpoints (conventions: core/api).

Each app adds its resources here with one line: ``router.register("things", ThingViewSet,
basename="things")`` or a ``path(...)`` for a single-purpose view. Keep it sorted by app.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from core.api.reference import api_reference
from suppliers import api as suppliers_api
from techmap.api_index import ApiIndex

router = SimpleRouter()
router.include_format_suffixes = False

# suppliers
router.register("capabilities", suppliers_api.CapabilityViewSet, basename="capabilities")
router.register("regions", suppliers_api.RegionViewSet, basename="regions")
router.register("certifications", suppliers_api.CertificationViewSet, basename="certifications")
router.register("frameworks", suppliers_api.FrameworkViewSet, basename="frameworks")
router.register("suppliers", suppliers_api.SupplierViewSet, basename="suppliers")
router.register("my/suppliers", suppliers_api.MySupplierViewSet, basename="my-suppliers")
router.register("awards", suppliers_api.AwardViewSet, basename="awards")

urlpatterns = [
    path("", ApiIndex.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The reference built from the schema, server-rendered: the primary docs (no JavaScript).
    path("reference/", api_reference, name="api-reference"),
    # Swagger UI with its start-up script served as a file (docs/?script), and its <style>
    # nonced, so the docs work under the Content Security Policy (settings).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("suppliers/export.csv", suppliers_api.SupplierCsvExport.as_view(), name="suppliers-csv"),
    path(
        "suppliers/export.jsonl",
        suppliers_api.SupplierJsonlExport.as_view(),
        name="suppliers-jsonl",
    ),
    *router.urls,
    path("", include("engagement.api")),  # engagement-requests/, engagement-responses/
    path("", include("innovation_den.api")),  # den/proposals/, den/lessons/
    path("", include("reporting.api")),  # contracts/ (+ ocds/), reports/, comparisons/
]
