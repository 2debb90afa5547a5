"""/api/v1/den/: the public part of the innovation den (conventions in core/api).

Read-only: trials in a public state (accepted onwards) and the lessons library. Lists run
a fixed number of queries whatever the page size; filters are the den's shared FilterSets.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from core.api.pagination import SearchCursorPagination
from core.api.views import ReadOnlyApiViewSet
from innovation_den import selectors
from innovation_den.filters import LessonFilter, ProposalFilter
from innovation_den.models import Proposal, ProposalPartner
from innovation_den.serializers import DenLessonSerializer, DenProposalSerializer


def _public_proposals():
    # The API shows only public parts, whoever asks: drafts and reviews stay on the site.
    return (
        selectors.proposals_visible_to(AnonymousUser())
        .select_related("public_body", "contract")
        .prefetch_related(
            "capabilities",
            Prefetch(
                "partners",
                queryset=ProposalPartner.objects.select_related("supplier").filter(
                    status=ProposalPartner.Status.CONFIRMED
                ),
                to_attr="confirmed_partners",
            ),
            "success_criteria",
            "stop_criteria",
            "risks",
            "reviews",
            "transitions",
        )
    )


@extend_schema_view(
    list=extend_schema(
        summary="Public trials",
        description="Trials from acceptance onwards: design, sandbox limits, the panel's mean "
        "scores, progress and outcome. Newest first; `q` searches evaluated trials' text.",
        tags=["den"],
    ),
    retrieve=extend_schema(summary="One public trial", tags=["den"]),
)
class ProposalViewSet(ReadOnlyApiViewSet):
    serializer_class = DenProposalSerializer
    filterset_class = ProposalFilter

    def get_queryset(self):
        return _public_proposals().order_by("-pk")


@extend_schema_view(
    list=extend_schema(
        summary="The lessons-learned library",
        description="Every evaluated trial, whether it met its criteria or not. Filter by "
        "`outcome` (met, partly_met, not_met), `capability` code and `public_body` slug; "
        "`q` is a full-text search; misspelt words are corrected, and `corrected_query` says "
        "so (`correct=false` searches `q` as typed).",
        tags=["den"],
    ),
    retrieve=extend_schema(summary="One lesson", tags=["den"]),
)
class LessonViewSet(ReadOnlyApiViewSet):
    serializer_class = DenLessonSerializer
    filterset_class = LessonFilter
    pagination_class = SearchCursorPagination  # says what q's search corrected

    def get_queryset(self):
        return (
            _public_proposals()
            .filter(status__in=Proposal.EVALUATED_STATUSES)
            .order_by("-evaluated_at", "-pk")
        )


router = SimpleRouter()
router.include_format_suffixes = False
router.register("den/proposals", ProposalViewSet, basename="den-proposals")
router.register("den/lessons", LessonViewSet, basename="den-lessons")
urlpatterns = router.urls
