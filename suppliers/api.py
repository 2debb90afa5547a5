"""The supplier registry in the API: reference data, published suppliers, your own suppliers.

Thin views (see the conventions in core/api): reads through ``suppliers.selectors``
and the shared FilterSet, writes through ``suppliers.services``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.permissions import is_moderator
from core.api.pagination import corrected_query
from core.api.permissions import ALLOW_ANY, AUTHENTICATED
from core.api.views import ApiView, ApiViewSet, ReadOnlyApiViewSet
from core.csv import csv_lines as write_csv_lines
from suppliers import registry_version, services
from suppliers.filters import SupplierFilterSet
from suppliers.importer import COLUMNS as IMPORT_COLUMNS
from suppliers.models import (
    Capability,
    CapabilityGroup,
    CaseStudy,
    Certification,
    Framework,
    Region,
    Supplier,
    SupplierMembership,
    SupplierRevision,
)
from suppliers.permissions import (
    can_create_supplier,
    can_edit_supplier,
    can_register_supplier,
    can_submit_supplier,
)
from suppliers.selectors import ORDERING_RELEVANCE, reference_data
from suppliers.selectors.awards import award_list, with_award_totals
from suppliers.serializers import (
    AwardPageSerializer,
    AwardQuerySerializer,
    AwardSerializer,
    CapabilityGroupSerializer,
    CaseStudyItemSerializer,
    CaseStudyWriteSerializer,
    CertificationSerializer,
    FrameworkSerializer,
    MySupplierSerializer,
    RegionSerializer,
    SupplierDetailSerializer,
    SupplierListSerializer,
    SupplierPageSerializer,
    SupplierQuerySerializer,
    SupplierWriteSerializer,
)

# --- Reference data ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Capability groups, each with its capabilities",
        description="The two-level capability taxonomy. Filter suppliers with a capability "
        "`code` (`/api/v1/suppliers/?capability=penetration-testing`).",
    ),
    retrieve=extend_schema(summary="One capability group, with its capabilities"),
)
class CapabilityViewSet(ReadOnlyApiViewSet):
    serializer_class = CapabilityGroupSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    queryset = CapabilityGroup.objects.prefetch_related(
        Prefetch("capabilities", queryset=Capability.objects.order_by("position", "name"))
    ).order_by("position", "name")


@extend_schema_view(
    list=extend_schema(summary="The 12 UK ITL1 regions"),
    retrieve=extend_schema(summary="One region"),
)
class RegionViewSet(ReadOnlyApiViewSet):
    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    queryset = Region.objects.order_by("position", "name")


@extend_schema_view(
    list=extend_schema(summary="Certifications a supplier may hold"),
    retrieve=extend_schema(summary="One certification"),
)
class CertificationViewSet(ReadOnlyApiViewSet):
    serializer_class = CertificationSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    queryset = Certification.objects.order_by("name")


@extend_schema_view(
    list=extend_schema(summary="Public-sector commercial frameworks"),
    retrieve=extend_schema(summary="One framework"),
)
class FrameworkViewSet(ReadOnlyApiViewSet):
    serializer_class = FrameworkSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    queryset = Framework.objects.order_by("name")


# --- Published suppliers ----------------------------------------------------------------------

SUPPLIER_LIST_COLUMNS = (
    "slug",
    "name",
    "summary",
    "website",
    "size",
    "published_at",
    "updated_at",
    "from_public_records",
)


def _codes_sql(through, target, column: str) -> RawSQL:
    """``ARRAY(codes of the supplier's related rows)`` as plain SQL.

    Written as SQL rather than ArraySubquery: Django's compilation of four subqueries was a
    large part of a list request's time; this is a constant string.
    """
    outer = Supplier._meta.db_table
    return RawSQL(
        f"ARRAY(SELECT t.code FROM {through._meta.db_table} x "
        f"JOIN {target._meta.db_table} t ON t.id = x.{column} "
        f"WHERE x.supplier_id = {outer}.id ORDER BY t.code)",
        [],
        output_field=ArrayField(CharField()),
    )


CODE_ARRAYS = {
    "region_codes": (Supplier.regions.through, Region, "region_id"),
    "capability_codes": (Supplier.capabilities.through, Capability, "capability_id"),
    "certification_codes": (Supplier.certifications.through, Certification, "certification_id"),
    "framework_codes": (Supplier.frameworks.through, Framework, "framework_id"),
}


def with_codes(queryset: QuerySet[Supplier]) -> QuerySet[Supplier]:
    """The codes of each supplier's regions, capabilities, … as arrays, in the same query.

    Four correlated subqueries that PostgreSQL runs for the rows of the page only (after
    the sort and LIMIT), so a page is one query whatever its size. The queryset must select
    from the supplier table under its own name (true of every queryset built here).
    """
    return queryset.annotate(
        hq_region_code=F("hq_region__code"),
        **{name: _codes_sql(*spec) for name, spec in CODE_ARRAYS.items()},
    )


# Reference data changes only in admin: each process keeps it for a short while (not in
# tests, where every test rolls its own reference rows back).
REFDATA_SECONDS = 0 if settings.TESTING else 60
_refdata_cache: dict[str, tuple[float, object]] = {}


def cached_reference_data():
    """suppliers.selectors.reference_data(), kept for REFDATA_SECONDS in this process.

    Cleared at once in this process when a region, capability (group), certification or
    framework is saved or deleted; other processes see the change within a minute.
    """
    now = time.monotonic()
    cached = _refdata_cache.get("refdata")
    if cached and now - cached[0] < REFDATA_SECONDS:
        return cached[1]
    refdata = reference_data()
    _refdata_cache["refdata"] = (now, refdata)
    return refdata


def _forget_reference_data(**kwargs) -> None:
    _refdata_cache.clear()


for _model in (Region, CapabilityGroup, Capability, Certification, Framework):
    post_save.connect(_forget_reference_data, sender=_model, dispatch_uid=f"api-refdata-{_model}")
    post_delete.connect(
        _forget_reference_data, sender=_model, dispatch_uid=f"api-refdata-del-{_model}"
    )


def _json_response(body: bytes) -> HttpResponse:
    """The body as JSONRenderer made it, without DRF rendering it again."""
    return HttpResponse(body, content_type="application/json")


def _facets_data(facets, refdata) -> dict:
    def options(items, *, region: bool = False) -> list[dict]:
        return [
            {
                "code": item.option.itl_code if region else item.option.code,
                "name": item.option.name,
                "count": item.count,
                "selected": item.selected,
            }
            for item in items
        ]

    return {
        "capability": [
            {"code": group.code, "name": group.name, "capabilities": options(items)}
            for group, items in facets.capability_groups
        ],
        "region": options(facets.regions, region=True),
        "sme": [
            {
                "code": "true",
                "name": "SMEs",
                "count": facets.sme,
                "selected": facets.sme_selected is True,
            },
            {
                "code": "false",
                "name": "Large suppliers",
                "count": facets.not_sme,
                "selected": facets.sme_selected is False,
            },
        ],
        "certification": options(facets.certifications),
        "framework": options(facets.frameworks),
    }


def _published_detail_queryset() -> QuerySet[Supplier]:
    history = CaseStudy.history.model
    return (
        with_award_totals(with_codes(Supplier.objects.filter(status=Supplier.Status.PUBLISHED)))
        .defer("search_vector")
        .annotate(
            # Case studies change without touching the supplier row: their history says when.
            case_studies_changed=Subquery(
                history.objects.filter(supplier_id=OuterRef("pk"))
                .order_by("-history_date")
                .values("history_date")[:1]
            )
        )
        .prefetch_related(
            Prefetch("case_studies", queryset=CaseStudy.objects.order_by("-year", "title", "pk"))
        )
    )


def conditional(request, response: Response, last_modified) -> Response:
    """Add ``ETag`` (a hash of the body) and ``Last-Modified``; answer 304 when they match."""
    response.accepted_renderer = JSONRenderer()
    response.accepted_media_type = "application/json"
    response.renderer_context = {}
    body = response.rendered_content
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = "no-cache"
    return get_conditional_response(
        request,
        etag=etag,
        last_modified=int(last_modified.timestamp()),
        response=response,
    )


@extend_schema_view(
    list=extend_schema(
        summary="Search published suppliers",
        description="The same search, filters and ordering as the /suppliers/ page. Results "
        "come in pages of `page_size` (cursor pagination: follow `next`). With "
        "`facets=true` the response also counts the matching suppliers for each filter "
        "value, as the web page's filters do.",
        parameters=[SupplierQuerySerializer],
        responses={200: SupplierPageSerializer},
    ),
    retrieve=extend_schema(
        summary="A published supplier's profile",
        description="Send `If-None-Match` with the `ETag` (or `If-Modified-Since`) of a "
        "previous answer to get a 304 when nothing changed.",
        responses={
            200: SupplierDetailSerializer,
            304: OpenApiResponse(description="Not modified since the ETag or date you sent."),
        },
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER, required=False),
        ],
    ),
)
class SupplierViewSet(ReadOnlyApiViewSet):
    """Published suppliers only: the public register."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = SupplierListSerializer
    filter_backends: list = []  # the search below is the FilterSet's own

    def get_serializer_class(self):
        return SupplierDetailSerializer if self.action == "retrieve" else SupplierListSerializer

    def get_queryset(self):
        return _published_detail_queryset()

    def list(self, request, *args, **kwargs):
        # Throttling, authentication and the query-string guard have run (initial()). The
        # answer depends only on the URL, the day (the fair tie-break) and the register.
        # How long a page is kept (0 in tests); it also ends when the register changes.
        seconds = settings.API_LIST_CACHE_SECONDS
        key = version = None
        if seconds:
            url = request.build_absolute_uri()
            digest = hashlib.sha256(f"{timezone.localdate()}|{url}".encode()).hexdigest()
            key = registry_version.cache_key("api-list", digest)
            body, version = registry_version.cached(key)
            if body is not None:
                return _json_response(body)
        refdata = cached_reference_data()
        query = SupplierQuerySerializer.check(request.query_params, refdata)
        # The web page's FilterSet and search, so no rule is written twice.
        filterset = SupplierFilterSet(
            request.query_params, request=request, strict=True, refdata=refdata
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        ordered = filterset.qs
        if filterset.params.effective_ordering == ORDERING_RELEVANCE:
            # Relevance is computed per match (rank, the daily tie-break) and sorted, and
            # PostgreSQL runs cheap-looking per-row subqueries before that sort: in one
            # statement the award totals ran for every match (half its time at 1,177).
            # So page on the ordering keys alone, then read the page's rows by id.
            keys = dict.fromkeys(["pk", *(key.lstrip("-") for key in ordered.query.order_by)])
            # The first page with words: the search hashes the daily tie-break only for
            # rows tied at the page's ranks (SupplierSearch.first_keys), not every match.
            first = filterset.search.first_keys if filterset.search.text else None
            rows = self.paginator.paginate_queryset(
                ordered.values(*keys), request, view=self, first_page=first
            )
            ids = [row["pk"] for row in rows]
            rows = Supplier.objects.filter(status=Supplier.Status.PUBLISHED, pk__in=ids)
            rows = with_award_totals(with_codes(rows.only(*SUPPLIER_LIST_COLUMNS)))
            by_pk = {supplier.pk: supplier for supplier in rows} if ids else {}
            suppliers = [by_pk[pk] for pk in ids if pk in by_pk]
        else:
            # Name or update order, served by indexes: the subqueries run for the page.
            queryset = with_award_totals(with_codes(ordered.only(*SUPPLIER_LIST_COLUMNS)))
            suppliers = self.paginate_queryset(queryset)
        data = {
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": SupplierListSerializer(
                suppliers, many=True, context={"request": request}
            ).data,
            "corrected_query": corrected_query(filterset.search.correction),
        }
        if query.get("facets") == "true":
            data["facets"] = _facets_data(filterset.search.facets(), refdata)
        body = JSONRenderer().render(data)
        if key is not None:
            registry_version.store(key, version, body, seconds)
        return _json_response(body)

    def retrieve(self, request, *args, **kwargs):
        supplier = self.get_object()
        response = Response(SupplierDetailSerializer(supplier, context={"request": request}).data)
        changed = max(filter(None, [supplier.updated_at, supplier.case_studies_changed]))
        return conditional(request, response, changed)


# --- Bulk open data -------------------------------------------------------------------------

EXPORT_CHUNK_SIZE = 1000
# The import columns first, so the open-data export can be imported again as it is.
# Then the public-record status and contract totals (not import columns: the import
# ignores them).
CSV_COLUMNS = [
    *IMPORT_COLUMNS,
    "slug",
    "updated_at",
    "from_public_records",
    "public_contract_count",
    "public_contract_total_gbp",
    "latest_award_date",
]

# The values export_rows() reads for the CSV_COLUMNS, in order (JSON Lines uses them too).
CSV_FIELDS = [
    "companies_house_number", "name", "website", "summary", "description", "size", "employees",
    "year_founded", "hq_region_code", "region_codes", "capability_codes",
    "certification_codes", "framework_codes", "slug", "updated_at", "from_public_records",
    "public_contract_count", "public_contract_total", "latest_award_date",
]  # fmt: skip


def export_rows() -> Iterator[dict]:
    """Every published supplier as a plain dict, streamed from a server-side cursor.

    Related rows are given by code (the import accepts codes), multi-valued in arrays.
    """
    queryset = (
        with_award_totals(with_codes(Supplier.objects.filter(status=Supplier.Status.PUBLISHED)))
        .order_by("pk")
        .values(*CSV_FIELDS, "published_at")
    )
    yield from queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)


def _csv_cell(field: str, value):
    if field == "from_public_records":
        return "yes" if value else "no"
    if field == "public_contract_count":
        return value or 0
    return value


def csv_lines() -> Iterator[str]:
    rows = ([_csv_cell(field, row[field]) for field in CSV_FIELDS] for row in export_rows())
    return write_csv_lines(CSV_COLUMNS, rows)


def jsonl_lines() -> Iterator[str]:
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    for row in export_rows():
        yield (
            encoder.encode(
                {
                    "slug": row["slug"],
                    "name": row["name"],
                    "companies_house_number": row["companies_house_number"],
                    "website": row["website"],
                    "summary": row["summary"],
                    "description": row["description"],
                    "size": row["size"],
                    "is_sme": row["size"] in Supplier.SME_SIZES,
                    "employees": row["employees"],
                    "year_founded": row["year_founded"],
                    "hq_region": row["hq_region_code"],
                    "regions": row["region_codes"] or [],
                    "capabilities": row["capability_codes"] or [],
                    "certifications": row["certification_codes"] or [],
                    "frameworks": row["framework_codes"] or [],
                    "published_at": row["published_at"],
                    "updated_at": row["updated_at"],
                    "from_public_records": row["from_public_records"],
                    "public_contract_count": row["public_contract_count"] or 0,
                    "public_contract_total": None
                    if row["public_contract_total"] is None
                    else f"{row['public_contract_total']:.2f}",
                    "latest_award_date": row["latest_award_date"],
                }
            )
            + "\n"
        )


class _ExportView(ApiView):
    action_permissions = {"get": ALLOW_ANY}
    content_type = ""
    filename = ""

    def get(self, request):
        response = StreamingHttpResponse(self.lines(), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "public, max-age=300"
        return response


@extend_schema(
    summary="Every published supplier as CSV (streamed)",
    description="The supplier CSV format that `import_suppliers` reads (codes for related "
    "values, `;` between them), plus `slug` and `updated_at`, then the public-record status "
    "(`from_public_records`: yes or no) and the totals of its public contracts "
    "(`public_contract_count`, `public_contract_total_gbp`, `latest_award_date`). UTF-8 with a "
    "byte-order mark.",
    tags=["suppliers"],
    responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV file")},
)
class SupplierCsvExport(_ExportView):
    content_type = "text/csv; charset=utf-8"
    filename = "techmap-suppliers.csv"

    @staticmethod
    def lines():
        return csv_lines()


@extend_schema(
    summary="Every published supplier as JSON Lines (streamed)",
    description="One JSON object a line, the fields of the supplier list plus description, "
    "Companies House number, employees and year founded, the public-record status and the "
    "totals of its public contracts.",
    tags=["suppliers"],
    responses={
        (200, "application/jsonl"): OpenApiResponse(OpenApiTypes.STR, description="JSON Lines file")
    },
)
class SupplierJsonlExport(_ExportView):
    content_type = "application/jsonl; charset=utf-8"
    filename = "techmap-suppliers.jsonl"

    @staticmethod
    def lines():
        return jsonl_lines()


# --- Your own suppliers -----------------------------------------------------------------------


def _editable_queryset(user) -> QuerySet[Supplier]:
    """Suppliers the user may edit (member or owner; a moderator: all), any status."""
    role = Subquery(
        SupplierMembership.objects.filter(supplier_id=OuterRef("pk"), user_id=user.pk).values(
            "role"
        )[:1]
    )
    queryset = Supplier.objects.annotate(my_role=role)
    if not is_moderator(user):
        queryset = queryset.filter(memberships__user_id=user.pk)
    return (
        with_award_totals(with_codes(queryset))
        .defer("search_vector")
        .prefetch_related(
            Prefetch("case_studies", queryset=CaseStudy.objects.order_by("-year", "title", "pk")),
            Prefetch(
                "revisions",
                queryset=SupplierRevision.objects.filter(status__in=SupplierRevision.OPEN_STATUSES),
                to_attr="pending_revisions",
            ),
        )
        .annotate(sort_name=Upper("name"))
        .order_by("sort_name", "pk")
    )


@extend_schema_view(
    list=extend_schema(
        summary="Suppliers you work for",
        description="The suppliers you are an owner or member of (a moderator: every "
        "supplier), whatever their status, with their full profile.",
    ),
    retrieve=extend_schema(summary="One of your suppliers: the full profile"),
    create=extend_schema(
        summary="Register a supplier",
        description="Anyone signed in who is not a civil servant registers their organisation: "
        "it is created as a `draft` that you own, not public until you submit it "
        "(`POST /api/v1/my/suppliers/{slug}/submit/`) and a moderator approves it. A "
        "Companies House number already on Techmap is a 409 (ask one of that organisation's "
        "owners to invite you). Moderators add "
        "suppliers directly.",
        request=SupplierWriteSerializer,
        responses={201: MySupplierSerializer},
    ),
    partial_update=extend_schema(
        summary="Change one of your suppliers",
        description="A profile that is not live (draft, pending review, rejected) changes at "
        "once (200). A live profile (published or suspended) stays as it is: your change is "
        "held for review as its `pending_revision` (202), merged with any change already "
        "waiting, and goes live when a moderator approves it. A moderator's change goes live "
        "at once (200), as on the website and in admin.",
        request=SupplierWriteSerializer,
        responses={
            200: MySupplierSerializer,
            202: OpenApiResponse(
                MySupplierSerializer,
                description="Accepted for review: the live profile, unchanged, with your "
                "edit as `pending_revision`.",
            ),
        },
    ),
)
class MySupplierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The supplier's own people (and moderators) read and change the full profile.

    Writes go through suppliers.services, which decide who may do what.
    """

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = MySupplierSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        "list": AUTHENTICATED,
        "retrieve": AUTHENTICATED,
        "create": AUTHENTICATED,
        "partial_update": AUTHENTICATED,
        "submit": AUTHENTICATED,
        "changes_resubmit": AUTHENTICATED,
        "changes_discard": AUTHENTICATED,
        "case_studies": AUTHENTICATED,
        "case_study": AUTHENTICATED,
    }
    # Who may do what is the services' to decide; these refuse early with the same rules.
    object_permissions = {
        "partial_update": can_edit_supplier,
        "submit": can_submit_supplier,
        "changes_resubmit": can_submit_supplier,
        "changes_discard": can_submit_supplier,
        "case_studies": can_edit_supplier,
        "case_study": can_edit_supplier,
    }

    def get_queryset(self):
        return _editable_queryset(self.request.user)

    def _reload(self, supplier: Supplier) -> dict:
        fresh = _editable_queryset(self.request.user).get(pk=supplier.pk)
        return MySupplierSerializer(fresh, context={"request": self.request}).data

    def create(self, request, *args, **kwargs):
        # Refuse before reading the body (the services check again, and decide).
        if not (can_create_supplier(request.user) or can_register_supplier(request.user)):
            raise DjangoPermissionDenied("Sign in with a supplier account to register one.")
        serializer = SupplierWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if can_create_supplier(request.user):  # moderators add suppliers directly
            supplier = services.supplier_create(
                actor=request.user, change_reason="Created through the API", **data
            )
        else:  # everyone else registers a draft, which moderators review
            with transaction.atomic():
                supplier = services.supplier_register(
                    actor=request.user,
                    companies_house_number=data.pop("companies_house_number"),
                    name=data.pop("name"),
                )
                services.supplier_profile_update(
                    actor=request.user,
                    supplier=supplier,
                    change_reason="Registered through the API",
                    **data,
                )
        data = self._reload(supplier)
        return Response(data, status=201, headers={"Location": data["url"]})

    def partial_update(self, request, *args, **kwargs):
        supplier = self.get_object()
        serializer = SupplierWriteSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        # The service decides: live at once, or held for review as the pending revision.
        result = services.supplier_profile_update(
            actor=request.user,
            supplier=supplier,
            change_reason="Changed through the API",
            **serializer.validated_data,
        )
        status = 202 if isinstance(result, SupplierRevision) else 200
        return Response(self._reload(supplier), status=status)

    @extend_schema(
        summary="Submit a draft for review",
        description="Sends a draft (or rejected) profile to the moderators; it is published "
        "when one approves it. Its owners and members may submit it. Every required field "
        "must be filled in first: a 400 lists what is missing. Submitting a profile already "
        "waiting for review changes nothing; a live profile cannot be submitted (its changes "
        "go to review as they are saved).",
        request=None,
        responses={200: MySupplierSerializer},
    )
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request, *args, **kwargs):
        supplier = self.get_object()
        services.supplier_submit(actor=request.user, supplier=supplier)
        return Response(self._reload(supplier))

    @extend_schema(
        summary="Send returned changes for review again",
        description="When a moderator does not approve an edit of a live profile, it comes "
        "back as the `pending_revision` with status `draft` and the moderator's `reason`. "
        "Your edits merge into it; this sends it to the moderators again (status `pending`). "
        "If it no longer differs from the live profile it is withdrawn. A 409 when there is "
        "no draft. Its owners and members may send it.",
        request=None,
        responses={200: MySupplierSerializer},
    )
    @action(detail=True, methods=["post"], url_path="changes/resubmit")
    def changes_resubmit(self, request, *args, **kwargs):
        supplier = self.get_object()
        services.supplier_revision_resubmit(actor=request.user, supplier=supplier)
        return Response(self._reload(supplier))

    @extend_schema(
        summary="Discard returned changes",
        description="Drops the `draft` a moderator returned; the live profile stays as it is. "
        "A 409 when there is no draft. Its owners and members may discard it.",
        request=None,
        responses={200: MySupplierSerializer},
    )
    @action(detail=True, methods=["post"], url_path="changes/discard")
    def changes_discard(self, request, *args, **kwargs):
        supplier = self.get_object()
        services.supplier_revision_discard(actor=request.user, supplier=supplier)
        return Response(self._reload(supplier))

    def _case_study_list(self, supplier: Supplier) -> list[dict]:
        items = services.supplier_case_studies(supplier, actor=self.request.user)
        return [{"index": n, **item} for n, item in enumerate(items)]

    def _case_study_answer(self, supplier: Supplier, result, *, status: int) -> Response:
        if isinstance(result, SupplierRevision):
            status = 202  # held for review: the live profile is unchanged
        return Response(self._case_study_list(supplier), status=status)

    @extend_schema(
        methods=["GET"],
        summary="Your supplier's case studies",
        description="The case studies as you edit them, in order: the live ones, or, when "
        "your edits wait for review, the list as the pending revision proposes it. `index` "
        "addresses one in `case-studies/{index}/`; `id` is null for one not yet live.",
        responses={200: CaseStudyItemSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a case study",
        description="Added at once (201) to a profile that is not live, or by a moderator; "
        "otherwise held for review in the pending revision (202). Answers with the list.",
        request=CaseStudyWriteSerializer,
        responses={
            201: CaseStudyItemSerializer(many=True),
            202: CaseStudyItemSerializer(many=True),
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="case-studies")
    def case_studies(self, request, *args, **kwargs):
        supplier = self.get_object()
        if request.method == "GET":
            return Response(self._case_study_list(supplier))
        serializer = CaseStudyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.supplier_case_study_add(
            actor=request.user, supplier=supplier, **serializer.validated_data
        )
        return self._case_study_answer(supplier, result, status=201)

    @extend_schema(
        methods=["PATCH"],
        summary="Change a case study",
        description="Changed at once (200) or held for review (202), as for adding one.",
        request=CaseStudyWriteSerializer,
        responses={
            200: CaseStudyItemSerializer(many=True),
            202: CaseStudyItemSerializer(many=True),
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a case study",
        description="Removed at once (200) or the removal held for review (202).",
        responses={
            200: CaseStudyItemSerializer(many=True),
            202: CaseStudyItemSerializer(many=True),
        },
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"case-studies/(?P<index>[0-9]{1,4})",
    )
    def case_study(self, request, index: str, *args, **kwargs):
        supplier = self.get_object()
        items = services.supplier_case_studies(supplier, actor=request.user)
        if int(index) >= len(items):
            raise NotFound("No such case study.")
        if request.method == "DELETE":
            result = services.supplier_case_study_remove(
                actor=request.user, supplier=supplier, index=int(index)
            )
            return self._case_study_answer(supplier, result, status=200)
        current = {k: v for k, v in items[int(index)].items() if k != "id"}
        serializer = CaseStudyWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        result = services.supplier_case_study_change(
            actor=request.user,
            supplier=supplier,
            index=int(index),
            **{**current, **serializer.validated_data},
        )
        return self._case_study_answer(supplier, result, status=200)


# --- Public contract data ---------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Awards from public contract data",
        description="Every award Techmap has loaded from Contracts Finder and Find a Tender "
        "(OCDS, Open Government Licence): buyer, suppliers, value, dates, CPV "
        "classification, notice link, publisher and ocid. Most recently awarded first, in "
        "pages of `page_size` (cursor pagination: follow `next`). Filter by a supplier's "
        "slug, a public body's slug, award dates or an ocid.",
        parameters=[AwardQuerySerializer],
        responses={200: AwardPageSerializer},
    ),
)
class AwardViewSet(mixins.ListModelMixin, ApiViewSet):
    """Public contract data is open data: anyone may read it."""

    serializer_class = AwardSerializer
    action_permissions = {"list": ALLOW_ANY}
    filter_backends: list = []

    def get_queryset(self):
        query = AwardQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return award_list(**query.validated_data)
