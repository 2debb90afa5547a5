"""/api/v1/ for contract reporting (conventions in core/api).

contracts/ (+ ocds/), reports/ (+ accept/, query/, reply/, correct/), comparisons/
(benchmarks), comparisons/scores/, comparisons/runs/. Thin: reads through
reporting.selectors and the shared FilterSets, writes through reporting.services.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.pagination import CursorPagination
from core.api.permissions import ALLOW_ANY, AUTHENTICATED
from core.api.views import ApiView, ApiViewSet, ReadOnlyApiViewSet
from core.ocds import link_header
from reporting import ocds, permissions, selectors, services
from reporting.filters import BenchmarkFilter, ContractFilter, ReportFilter, ScoreFilter
from reporting.models import (
    ComparisonRun,
    Contract,
    ContractReport,
    MetricBenchmark,
    ReportValue,
    SupplierScore,
)
from reporting.serializers import (
    BenchmarkSerializer,
    ContractSerializer,
    ContractUpdateSerializer,
    ContractWriteSerializer,
    QuerySerializer,
    ReplySerializer,
    ReportDetailSerializer,
    ReportReviseSerializer,
    ReportSerializer,
    ReportSubmitSerializer,
    RunSerializer,
    ScoreSerializer,
)
from suppliers.models import AwardRecord, CapabilityGroup, Supplier

TAG = ["reporting"]


def _values_prefetch() -> Prefetch:
    return Prefetch("values", queryset=ReportValue.objects.select_related("metric"))


@extend_schema_view(
    list=extend_schema(summary="Contracts", tags=TAG),
    retrieve=extend_schema(summary="One contract, by ocid", tags=TAG),
    create=extend_schema(
        summary="Record a contract (civil servants, for their public body)",
        request=ContractWriteSerializer,
        responses={201: ContractSerializer},
        tags=TAG,
    ),
    partial_update=extend_schema(
        summary="Change a contract (the buying organisation)",
        request=ContractUpdateSerializer,
        responses={200: ContractSerializer},
        tags=TAG,
    ),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ContractSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilter
    lookup_field = "ocid"
    lookup_value_regex = r"ocds-[^/]+"
    action_permissions = {
        "list": ALLOW_ANY,
        "retrieve": ALLOW_ANY,
        "create": permissions.can_create_contract,
        "partial_update": AUTHENTICATED,
    }
    object_permissions = {"partial_update": permissions.can_edit_contract}

    def get_queryset(self):
        return selectors.contracts_base().order_by("pk")

    @staticmethod
    def _references(data: dict) -> dict:
        """Slugs and codes to objects; a reference to nothing is a 404, like a missing ocid."""
        data = dict(data)
        if "supplier" in data:
            data["supplier"] = get_object_or_404(
                Supplier, slug=data["supplier"], status=Supplier.Status.PUBLISHED
            )
        if "category" in data:
            data["category"] = get_object_or_404(CapabilityGroup, code=data["category"])
        if data.get("value") is not None:
            data["value"] = data["value"].quantize(Decimal("0.01"))
        return data

    def create(self, request):
        serializer = ContractWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_create(
            actor=request.user, **self._references(serializer.validated_data)
        )
        contract = selectors.contracts_base().get(pk=contract.pk)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, ocid=None):
        contract = self.get_object()
        serializer = ContractUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contract = services.contract_update(
            actor=request.user, contract=contract, **self._references(serializer.validated_data)
        )
        contract = selectors.contracts_base().get(pk=contract.pk)
        return Response(ContractSerializer(contract).data)


class ContractOcdsView(ApiView):
    """Contracts as an OCDS 1.1 release package, a page at a time: the next and previous
    pages are in the ``Link`` header (why not ``links`` in the package: ``core.ocds``)."""

    action_permissions = {"get": ALLOW_ANY}

    @extend_schema(
        summary="Contracts as an OCDS release package",
        description="One release per contract with its public reports as implementation "
        "milestones of type `reporting` (structured in `techmapReport`, from the Techmap OCDS "
        "extension listed in `extensions`). The next and previous pages are in the `Link` "
        'header (`rel="next"`, `rel="prev"`); filters as for `contracts/`.',
        responses={200: OpenApiTypes.OBJECT},
        tags=TAG,
    )
    def get(self, request):
        filterset = ContractFilter(request.query_params, queryset=selectors.contracts_base())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        paginator = CursorPagination()
        contracts = paginator.paginate_queryset(filterset.qs.order_by("pk"), request, view=self)
        visible = (
            selectors.reports_visible_to(request.user)
            .filter(contract__in=[c.pk for c in contracts])
            .select_related("scheme")
            .prefetch_related(_values_prefetch())
            .order_by("period")
        )
        by_contract: dict[int, list] = {}
        for report in visible:
            by_contract.setdefault(report.contract_id, []).append(report)
        sources: dict[int, AwardRecord] = {}
        for award in AwardRecord.objects.filter(contract__in=[c.pk for c in contracts]).order_by(
            "pk"
        ):
            sources.setdefault(award.contract_id, award)
        releases = [
            ocds.release(c, by_contract.get(c.pk, []), source=sources.get(c.pk)) for c in contracts
        ]
        package = ocds.release_package(releases, uri=request.build_absolute_uri())
        link = link_header(
            next_url=paginator.get_next_link(), prev_url=paginator.get_previous_link()
        )
        return Response(package, headers={"Link": link} if link else None)


@extend_schema_view(
    list=extend_schema(
        summary="Contract reports",
        description="Submitted and accepted reports are public; a queried report is listed "
        "only for the buyer's civil servants, the supplier's people and moderators.",
        tags=TAG,
    ),
    retrieve=extend_schema(summary="One report", tags=TAG, responses=ReportDetailSerializer),
    create=extend_schema(
        summary="Submit a quarter's report (people at the contract's supplier)",
        request=ReportSubmitSerializer,
        responses={201: ReportDetailSerializer},
        tags=TAG,
    ),
    accept=extend_schema(
        summary="Accept a report (the buyer)",
        request=None,
        responses=ReportDetailSerializer,
        tags=TAG,
    ),
    query=extend_schema(
        summary="Query a report with a reason (the buyer)",
        request=QuerySerializer,
        responses=ReportDetailSerializer,
        tags=TAG,
    ),
    reply=extend_schema(
        summary="Reply to a query (the supplier)",
        request=ReplySerializer,
        responses=ReportDetailSerializer,
        tags=TAG,
    ),
    correct=extend_schema(
        summary="Correct a queried report's values (the supplier)",
        request=ReportReviseSerializer,
        responses=ReportDetailSerializer,
        tags=TAG,
    ),
)
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReportSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter
    action_permissions = {
        "list": ALLOW_ANY,
        "retrieve": ALLOW_ANY,
        "create": AUTHENTICATED,
        "accept": AUTHENTICATED,
        "query": AUTHENTICATED,
        "reply": AUTHENTICATED,
        "correct": AUTHENTICATED,
    }
    object_permissions = {
        "accept": permissions.can_decide_report,
        "query": permissions.can_decide_report,
        "reply": permissions.can_reply_to_report,
        "correct": permissions.can_revise_report,
    }

    def get_queryset(self):
        return (
            selectors.reports_visible_to(self.request.user)
            .select_related("contract__supplier", "contract__buyer", "scheme")
            .prefetch_related(_values_prefetch())
            .order_by("pk")
        )

    def get_serializer_class(self):
        return ReportSerializer if self.action == "list" else ReportDetailSerializer

    def _answer(self, report: ContractReport, code: int = 200) -> Response:
        report = self.get_queryset().get(pk=report.pk)
        return Response(
            ReportDetailSerializer(report, context={"request": self.request}).data, status=code
        )

    def create(self, request):
        serializer = ReportSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contract = get_object_or_404(Contract, ocid=data["contract"])
        report = services.report_submit(
            actor=request.user,
            contract=contract,
            period=data["period"],
            values=data["values"],
            comments=data.get("comments") or {},
            scheme_version=data.get("scheme_version"),
        )
        return self._answer(report, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        report = services.report_accept(actor=request.user, report=self.get_object())
        return self._answer(report)

    @action(detail=True, methods=["post"])
    def query(self, request, pk=None):
        report = self.get_object()
        serializer = QuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_query(
            actor=request.user, report=report, reason=serializer.validated_data["reason"]
        )
        return self._answer(report)

    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        report = self.get_object()
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_reply(
            actor=request.user, report=report, message=serializer.validated_data["message"]
        )
        return self._answer(report)

    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        report = self.get_object()
        serializer = ReportReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_revise(
            actor=request.user,
            report=report,
            values=serializer.validated_data["values"],
            comments=serializer.validated_data.get("comments") or {},
        )
        return self._answer(report)


@extend_schema_view(
    list=extend_schema(
        summary="Benchmarks: each metric's distribution by period and category",
        description="From the nightly comparison: count, quartiles, median, mean and outliers. "
        "`enough_data` is false where fewer than 5 contracts reported the metric.",
        tags=TAG,
    )
)
class BenchmarkViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = BenchmarkSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = BenchmarkFilter
    action_permissions = {"list": ALLOW_ANY}

    def get_queryset(self):
        return MetricBenchmark.objects.select_related("scheme", "category", "metric").order_by(
            "-period", "category_id", "metric_id"
        )


@extend_schema_view(
    list=extend_schema(
        summary="Supplier composite scores by period",
        description="The weighted mean of each supplier's percentile ranks (0–1) and its "
        "change since the previous quarter.",
        tags=TAG,
    )
)
class ScoreViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = ScoreSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ScoreFilter
    action_permissions = {"list": ALLOW_ANY}

    def get_queryset(self):
        return SupplierScore.objects.select_related("scheme", "supplier").order_by(
            "-period", "supplier_id"
        )


@extend_schema_view(
    list=extend_schema(summary="Comparison runs, newest first", tags=TAG),
    retrieve=extend_schema(summary="One comparison run", tags=TAG),
)
class RunViewSet(ReadOnlyApiViewSet):
    serializer_class = RunSerializer
    queryset = ComparisonRun.objects.order_by("-pk")


router = SimpleRouter()
router.include_format_suffixes = False
router.register("contracts", ContractViewSet, basename="reporting-contracts")
router.register("reports", ReportViewSet, basename="reporting-reports")
router.register("comparisons/scores", ScoreViewSet, basename="reporting-scores")
router.register("comparisons/runs", RunViewSet, basename="reporting-runs")
router.register("comparisons", BenchmarkViewSet, basename="reporting-comparisons")

urlpatterns = [
    # Before the router: "ocds" must not be read as a contract's ocid.
    path("contracts/ocds/", ContractOcdsView.as_view(), name="reporting-contracts-ocds"),
    *router.urls,
]
