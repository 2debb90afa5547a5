"""API output shapes for the den: only what is public (see core/api for conventions).

The querysets come from ``innovation_den.api`` with everything prefetched, so a page of
any size runs a fixed number of queries.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from innovation_den.models import Proposal, Review, SuccessCriterion, summarise_scores


class DenPublicBodyRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class DenPartnerSerializer(serializers.Serializer):
    slug = serializers.CharField(source="supplier.slug")
    name = serializers.CharField(source="supplier.name")
    companies_house_number = serializers.CharField(source="supplier.companies_house_number")


class DenSuccessCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuccessCriterion
        fields = ["description", "measure", "target"]


class DenCriterionResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuccessCriterion
        fields = ["description", "measure", "target", "result", "met"]


class DenSandboxSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    budget_cap = serializers.DecimalField(max_digits=10, decimal_places=2)
    data_allowed = serializers.ListField(
        child=serializers.ChoiceField(choices=Proposal.Data.choices)
    )
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue")


class DenScoreSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    spread = serializers.IntegerField(allow_null=True)
    disagreement = serializers.BooleanField(help_text="A spread of 3 or more.")


class DenTransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()


class DenGraduationSerializer(serializers.Serializer):
    engagement_request = serializers.IntegerField(source="engagement_request_id", allow_null=True)
    contract_ocid = serializers.SerializerMethodField()
    url = serializers.CharField(source="graduation_url")
    note = serializers.CharField(source="graduation_note")

    def get_contract_ocid(self, obj: Proposal) -> str | None:
        return obj.contract.ocid if obj.contract_id else None


class _ProposalBase(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    public_body = DenPublicBodyRefSerializer()
    capabilities = serializers.SerializerMethodField()
    partners = serializers.SerializerMethodField()

    def get_url(self, obj: Proposal) -> str:
        request = self.context.get("request")
        path = f"/den/proposals/{obj.pk}/"
        return request.build_absolute_uri(path) if request else path

    def get_capabilities(self, obj: Proposal) -> list[str]:
        return [capability.code for capability in obj.capabilities.all()]

    @extend_schema_field(DenPartnerSerializer(many=True))
    def get_partners(self, obj: Proposal) -> list[dict]:
        partners = getattr(obj, "confirmed_partners", None)
        if partners is None:
            partners = [p for p in obj.partners.all() if p.status == "confirmed"]
        return DenPartnerSerializer(partners, many=True).data


class DenProposalSerializer(_ProposalBase):
    """A public trial: design, limits, review summary, run and (when evaluated) outcome."""

    sandbox = serializers.SerializerMethodField()
    success_criteria = serializers.SerializerMethodField()
    stop_criteria = serializers.SerializerMethodField()
    risks = serializers.SerializerMethodField()
    panel_scores = serializers.SerializerMethodField()
    transitions = DenTransitionSerializer(many=True)
    graduation = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "url",
            "title",
            "status",
            "public_body",
            "problem",
            "hypothesis",
            "capabilities",
            "partners",
            "sandbox",
            "success_criteria",
            "stop_criteria",
            "risks",
            "panel_scores",
            "decision_reason",
            "decided_at",
            "outcome",
            "lessons_learned",
            "next_steps",
            "evaluated_at",
            "graduation",
            "transitions",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(DenSandboxSerializer)
    def get_sandbox(self, obj: Proposal) -> dict:
        return DenSandboxSerializer(obj).data

    @extend_schema_field(DenCriterionResultSerializer(many=True))
    def get_success_criteria(self, obj: Proposal) -> list[dict]:
        # Results exist only once the trial is evaluated.
        if obj.is_evaluated:
            return DenCriterionResultSerializer(obj.success_criteria.all(), many=True).data
        return DenSuccessCriterionSerializer(obj.success_criteria.all(), many=True).data

    def get_stop_criteria(self, obj: Proposal) -> list[str]:
        return [criterion.description for criterion in obj.stop_criteria.all()]

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_risks(self, obj: Proposal) -> list[dict]:
        return [{"description": r.description, "mitigation": r.mitigation} for r in obj.risks.all()]

    @extend_schema_field(DenScoreSummarySerializer(many=True))
    def get_panel_scores(self, obj: Proposal) -> list[dict]:
        """Means and spreads only (never who scored what), for decided proposals."""
        reviews: list[Review] = [
            r for r in obj.reviews.all() if r.review_round_id == obj.review_round_id
        ]
        if not reviews:
            return []
        return DenScoreSummarySerializer(summarise_scores(reviews), many=True).data

    @extend_schema_field(DenGraduationSerializer(allow_null=True))
    def get_graduation(self, obj: Proposal) -> dict | None:
        if obj.status != Proposal.Status.GRADUATED:
            return None
        return DenGraduationSerializer(obj).data


class DenLessonSerializer(_ProposalBase):
    """An evaluated trial in the lessons library, whatever its outcome."""

    criteria = DenCriterionResultSerializer(source="success_criteria", many=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "url",
            "title",
            "status",
            "outcome",
            "public_body",
            "capabilities",
            "partners",
            "problem",
            "hypothesis",
            "criteria",
            "lessons_learned",
            "next_steps",
            "evaluated_at",
        ]
