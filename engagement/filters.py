"""The FilterSet for engagement requests, shared by the public list page and the API."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from accounts.models import PublicBody
from core.api.schema import documented_codes
from core.filters import CorrectFilter
from core.search import TextSearch
from engagement.models import EngagementRequest
from engagement.search import SPEC
from suppliers.models import Capability, Region

STATUS_CHOICES = [("open", "Open"), ("closed", "Closed"), ("all", "Open and closed")]
MAX_QUERY_LENGTH = 200


def search(queryset, found: TextSearch):
    """Websearch syntax ("quoted phrases", or, -exclude) through the shared engine
    (core.search, spec ``engagement.search.SPEC``): misspelt words corrected against the
    requests' vocabulary, the stored weighted vector matched in 'english' and 'simple',
    ranked by ts_rank (exact words first), then the newest."""
    return found.filter(queryset, then=("-published_at", "-pk"))


class EngagementRequestFilter(django_filters.FilterSet):
    q = extend_schema_field(
        {
            "type": "string",
            "maxLength": MAX_QUERY_LENGTH,
            "description": "Words from the title, problem, policy area or public body.",
        }
    )(
        django_filters.CharFilter(
            label="Search",
            method="filter_q",
            max_length=MAX_QUERY_LENGTH,
            help_text="Words from the title, problem, policy area or public body.",
        )
    )
    # Radios, so each option has its own id (id_status_0…) for its label to point at.
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label=None,
        widget=forms.RadioSelect,
    )
    # Reference rows by code or slug: the API schema lists the values (an enum read from the
    # database when the schema is built), so an unknown one is a documented 400.
    capability = documented_codes(
        django_filters.ModelMultipleChoiceFilter(
            label="Capability",
            field_name="capabilities",
            to_field_name="code",
            queryset=Capability.objects.select_related("group"),
            widget=forms.CheckboxSelectMultiple,
            distinct=False,
            method="filter_m2m",
        ),
        Capability.objects.all,
        "code",
    )
    region = documented_codes(
        django_filters.ModelMultipleChoiceFilter(
            label="Region",
            field_name="regions",
            to_field_name="slug",
            queryset=Region.objects.all(),
            widget=forms.CheckboxSelectMultiple,
            method="filter_m2m",
        ),
        Region.objects.all,
        "slug",
    )
    public_body = documented_codes(
        django_filters.ModelChoiceFilter(
            label="Public body",
            to_field_name="slug",
            queryset=PublicBody.objects.all(),
        ),
        PublicBody.objects.all,
        "slug",
    )
    help = django_filters.MultipleChoiceFilter(
        label="Kind of help",
        field_name="help_kind",
        choices=EngagementRequest.HelpKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    # The page and the API correct misspelt words and say so ("Showing results for …",
    # ``corrected_query``).
    correct_spelling = True
    # ?correct=false searches the words as typed ("Search instead for …"); read by filter_q.
    correct = CorrectFilter(
        method="filter_correct",
        label="Spelling correction",
        help_text="false: search the words as typed, without spelling correction.",
    )

    class Meta:
        model = EngagementRequest
        fields = ["q", "status", "capability", "region", "public_body", "help", "correct"]

    def __init__(self, data=None, *args, **kwargs):
        # Open requests unless asked otherwise.
        if data is not None and not data.get("status"):
            data = data.copy()
            data["status"] = "open"
        super().__init__(data, *args, **kwargs)
        # The words searched, once ``qs`` is built (see filter_q): correction, "why".
        self.text_search = TextSearch(SPEC, "")

    def filter_q(self, queryset, name, value):
        correct_spelling = (
            self.correct_spelling and self.form.cleaned_data.get("correct") is not False
        )
        # Facet counts reuse the page's TextSearch (one spelling check per page).
        if not self.text_search.same_words(value, correct_spelling=correct_spelling):
            self.text_search = TextSearch(SPEC, value, correct_spelling=correct_spelling)
        return search(queryset, self.text_search)

    def filter_correct(self, queryset, name, value):
        return queryset  # how filter_q searches, not a filter of its own

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status=EngagementRequest.Status.OPEN)
        if value == "closed":
            return queryset.filter(status__in=EngagementRequest.FINISHED_STATUSES)
        return queryset.exclude(status=EngagementRequest.Status.DRAFT)

    def filter_m2m(self, queryset, name, value):
        """Any of the chosen values, without joining (so no request is listed twice)."""
        if not value:
            return queryset
        through = EngagementRequest._meta.get_field(name).remote_field.through
        target = "capability_id" if name == "capabilities" else "region_id"
        ids = through.objects.filter(**{f"{target}__in": [v.pk for v in value]}).values(
            "engagementrequest_id"
        )
        return queryset.filter(pk__in=ids)


class _IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ResponseFilter(django_filters.FilterSet):
    """Responses by request id. An id that is not one of your requests gives an empty list,
    never a 400: every integer is a valid filter, and a 400 would say which requests exist."""

    engagement_request = extend_schema_field(int)(
        _IdFilter(field_name="engagement_request_id", help_text="An engagement request's id.")
    )
