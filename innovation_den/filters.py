"""FilterSets shared by the den's pages and its API, so a rule is written once."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from accounts.models import PublicBody
from core.api.schema import documented_codes
from core.filters import CorrectFilter
from core.search import TextSearch
from innovation_den.models import Proposal
from innovation_den.search import SPEC
from suppliers.models import Capability


def search(queryset, found: TextSearch):
    """Full-text search through the shared engine (core.search, spec
    ``innovation_den.search.SPEC``): misspelt words corrected against the den's
    vocabulary, the stored vector matched, best matches first (exact words first).

    A title that contains the words also matches, so a partial word still finds a trial.
    """
    if not found:
        return queryset
    return found.filter(queryset, also=Q(title__icontains=found.q))


class ProposalFilter(django_filters.FilterSet):
    """Filters for lists of proposals (the den's list and /api/v1/den/proposals/)."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    # Spelling is corrected against the lessons vocabulary: in the lessons library only.
    correct_spelling = False
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

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # The words searched, once ``qs`` is built (see filter_q): correction, "why".
        self.text_search = TextSearch(SPEC, "")

    def filter_q(self, queryset, name, value):
        # ?correct=false (LessonFilter's) searches the words as typed.
        correct_spelling = (
            self.correct_spelling and self.form.cleaned_data.get("correct") is not False
        )
        # Facet counts reuse the page's TextSearch (one spelling check per page).
        if not self.text_search.same_words(value, correct_spelling=correct_spelling):
            self.text_search = TextSearch(SPEC, value, correct_spelling=correct_spelling)
        return search(queryset, self.text_search)


class LessonFilter(ProposalFilter):
    """The lessons-learned library: evaluated trials by capability, body and outcome."""

    outcome = django_filters.ChoiceFilter(choices=Proposal.Outcome.choices, label="Outcome")
    # The page and the API correct misspelt words and say so ("Showing results for …",
    # ``corrected_query``).
    correct_spelling = True
    # ?correct=false searches the words as typed ("Search instead for …"); read by filter_q.
    correct = CorrectFilter(
        method="filter_correct",
        label="Spelling correction",
        help_text="false: search the words as typed, without spelling correction.",
    )
    # Every lesson is evaluated: the lifecycle status is not a filter here (removed from the
    # class, not only from instances, so the API schema does not offer it either).
    status = None

    class Meta:
        model = Proposal
        fields = ["q", "capability", "public_body", "outcome", "correct"]

    def filter_correct(self, queryset, name, value):
        return queryset  # how filter_q searches, not a filter of its own
