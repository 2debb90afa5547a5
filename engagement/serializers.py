"""API shapes for early engagement (output only: the API reads; writes are on the web)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engagement import permissions
from engagement.models import ClarificationQuestion, EngagementRequest, SupplierResponse


class _Named(serializers.Serializer):
    name = serializers.CharField()


class PublicBodyRefSerializer(_Named):
    slug = serializers.SlugField()


class CapabilityRefSerializer(_Named):
    code = serializers.SlugField()


class RegionRefSerializer(_Named):
    slug = serializers.SlugField()
    code = serializers.CharField(help_text="ITL1 code, such as TLI.")


class SessionSerializer(serializers.Serializer):
    date = serializers.DateField(source="session_date", allow_null=True)
    start = serializers.TimeField(source="session_start", allow_null=True, format="%H:%M")
    end = serializers.TimeField(source="session_end", allow_null=True, format="%H:%M")
    place = serializers.CharField(source="session_place")
    joining = serializers.CharField(source="session_link_note")


class QuestionSerializer(serializers.ModelSerializer):
    """A published clarification: never says who asked."""

    class Meta:
        model = ClarificationQuestion
        fields = ["id", "question", "answer", "answered_at"]


class EngagementRequestSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="The notice's unique identifier.")
    public_body = PublicBodyRefSerializer()
    capabilities = CapabilityRefSerializer(many=True)
    regions = RegionRefSerializer(many=True, help_text="Empty means anywhere in the UK.")
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=EngagementRequest.Format.choices),
        help_text="How suppliers can take part.",
    )
    session = SessionSerializer(source="*")
    url = serializers.SerializerMethodField(help_text="The request's page on Techmap.")
    notice_url = serializers.SerializerMethodField(
        help_text="The UK2-style notice as an OCDS 1.1 release."
    )

    class Meta:
        model = EngagementRequest
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "public_body",
            "policy_area",
            "problem",
            "help_kind",
            "capabilities",
            "regions",
            "formats",
            "session",
            "response_deadline",
            "budget_min",
            "budget_max",
            "procurement_timing",
            "withdrawal_reason",
            "procurement_reference",
            "published_at",
            "closed_at",
            "url",
            "notice_url",
        ]

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, obj: EngagementRequest) -> str:
        return self._absolute(reverse("engagement:detail", args=[obj.pk]))

    def get_notice_url(self, obj: EngagementRequest) -> str:
        return self._absolute(reverse("engagement:notice", args=[obj.pk]))


class EngagementRequestDetailSerializer(EngagementRequestSerializer):
    questions = serializers.SerializerMethodField(help_text="Answered questions, anonymous.")

    class Meta(EngagementRequestSerializer.Meta):
        fields = [*EngagementRequestSerializer.Meta.fields, "questions"]

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, obj: EngagementRequest) -> list[dict]:
        answered = [q for q in obj.questions.all() if q.answered_at is not None]
        return QuestionSerializer(answered, many=True).data


class SupplierRefSerializer(_Named):
    slug = serializers.SlugField()
    companies_house_number = serializers.CharField()


class CaseStudyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ResponseSerializer(serializers.ModelSerializer):
    engagement_request = serializers.PrimaryKeyRelatedField(read_only=True)
    supplier = SupplierRefSerializer()
    case_studies = CaseStudyRefSerializer(many=True)
    mark = serializers.SerializerMethodField(
        help_text="The request owners' mark (useful, not_relevant or empty); shown to them only."
    )

    class Meta:
        model = SupplierResponse
        fields = [
            "id",
            "engagement_request",
            "supplier",
            "summary",
            "case_studies",
            "availability",
            "mark",
            "created_at",
            "updated_at",
        ]

    def get_mark(self, obj: SupplierResponse) -> str | None:
        request = self.context.get("request")
        user = request.user if request else None
        if permissions.can_view_responses(user, obj.engagement_request):
            return obj.mark
        return None
