"""Early engagement in the API (conventions: core/api).

``engagement-requests/`` is public (drafts only to their owners and moderators),
filtered by the same FilterSet as the /engagement/ page. ``engagement-responses/``
are for the request's owners and the responding organisation's people only.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.pagination import SearchCursorPagination
from core.api.permissions import ALLOW_ANY, AUTHENTICATED
from core.api.views import ApiViewSet
from engagement import exports, selectors
from engagement.filters import EngagementRequestFilter, ResponseFilter
from engagement.models import ClarificationQuestion, EngagementRequest
from engagement.serializers import (
    EngagementRequestDetailSerializer,
    EngagementRequestSerializer,
    ResponseSerializer,
)

TAGS = ["engagement"]


@extend_schema_view(
    list=extend_schema(
        summary="Early engagement requests",
        description="Open requests unless `status` says otherwise (`closed`, `all`). "
        '`q` takes web-search syntax ("quoted phrase", or, -word); `capability` codes, '
        "`region` slugs and `help` may repeat. Misspelt words of `q` are corrected, and "
        "`corrected_query` says so (`correct=false` searches `q` as typed).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One engagement request, with its published Q&A", tags=TAGS),
    notice=extend_schema(
        summary="The request as a UK2-style preliminary market engagement notice (OCDS 1.1)",
        responses={200: OpenApiResponse(description="An OCDS 1.1 release, tag `planning`.")},
        tags=TAGS,
    ),
)
class EngagementRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    action_permissions = {"list": ALLOW_ANY, "retrieve": ALLOW_ANY, "notice": ALLOW_ANY}
    filterset_class = EngagementRequestFilter
    pagination_class = SearchCursorPagination  # says what q's search corrected
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if self.action == "list":
            queryset = EngagementRequest.objects.exclude(status=EngagementRequest.Status.DRAFT)
        else:
            queryset = selectors.requests_visible_to(self.request.user)
        queryset = selectors.requests_with_related(queryset).order_by("-published_at", "-pk")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("questions", queryset=ClarificationQuestion.objects.order_by("asked_at"))
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return EngagementRequestDetailSerializer
        return EngagementRequestSerializer

    @action(detail=True, methods=["get"], url_path="notice", filterset_class=None)
    def notice(self, request, pk=None):
        return Response(exports.notice_release(self.get_object()))

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


@extend_schema_view(
    list=extend_schema(
        summary="Responses you may read",
        description="Responses to requests you own, and your organisations' own responses. "
        "Filter by `engagement_request` id.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One response", tags=TAGS),
)
class EngagementResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    action_permissions = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED}
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter

    def get_queryset(self):
        return selectors.responses_visible_to(self.request.user).order_by("-created_at", "-pk")


router = SimpleRouter()
router.include_format_suffixes = False
router.register("engagement-requests", EngagementRequestViewSet, basename="engagement-requests")
router.register("engagement-responses", EngagementResponseViewSet, basename="engagement-responses")

urlpatterns = router.urls
