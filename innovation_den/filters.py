"""FilterSets shared by the den's pages and its API, so a rule is written once."""

from __future__ import annotations

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import Coalesce

from accounts.models import PublicBody
from core.api.schema import documented_codes
from innovation_den.models import Proposal
from suppliers.models import Capability


def search(queryset, text: str):
    """Full-text search on the stored vector (websearch syntax), best matches first.

    A title that contains the words also matches, so a partial word still finds a trial.
    """
    text = (text or "").strip()[:200]
    if not text:
        return queryset
    query = SearchQuery(text, search_type="websearch", config="english")
    return (
        queryset.filter(Q(search_vector=query) | Q(title__icontains=text))
        .annotate(
            rank=Coalesce(
                SearchRank(F("search_vector"), query), Value(0.0), output_field=FloatField()
            )
        )
        .order_by("-rank", "-pk")
    )


class ProposalFilter(django_filters.FilterSet):
    """Filters for lists of proposals (the den's list and /api/v1/den/proposals/)."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.ChoiceFilter(choices=Proposal.Status.choices, label="Status")
    # Reference rows by code or slug: the API schema lists the values (an enum read from the
    # database when the schema is built), so an unknown one is a documented 400.
    capability = documented_codes(
        django_filters.ModelChoiceFilter(
            queryset=Capability.objects.all(),
            field_name="capabilities",
            to_field_name="code",
            label="Capability",
        ),
        Capability.objects.all,
        "code",
    )
    public_body = documented_codes(
        django_filters.ModelChoiceFilter(
            queryset=PublicBody.objects.all(), to_field_name="slug", label="Public body"
        ),
        PublicBody.objects.all,
        "slug",
    )

    class Meta:
        model = Proposal
        fields = ["q", "status", "capability", "public_body"]

    def filter_q(self, queryset, name, value):
        return search(queryset, value)


class LessonFilter(ProposalFilter):
    """The lessons-learned library: evaluated trials by capability, body and outcome."""

    outcome = django_filters.ChoiceFilter(choices=Proposal.Outcome.choices, label="Outcome")
    # Every lesson is evaluated: the lifecycle status is not a filter here (removed from the
    # class, not only from instances, so the API schema does not offer it either).
    status = None

    class Meta:
        model = Proposal
        fields = ["q", "capability", "public_body", "outcome"]
