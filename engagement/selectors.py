"""Reads for early engagement: querysets scoped to what the user may see, fully loaded."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.search import Facet, facet_counts
from engagement import permissions
from engagement.filters import EngagementRequestFilter
from engagement.models import (
    ClarificationQuestion,
    EngagementRequest,
    Match,
    Participant,
    SupplierResponse,
)
from suppliers.models import CaseStudy, ExternalEngagementNotice, Supplier


def requests_with_related(queryset: QuerySet | None = None) -> QuerySet:
    queryset = EngagementRequest.objects.all() if queryset is None else queryset
    return queryset.select_related("public_body", "author").prefetch_related(
        "capabilities", "regions", "co_owners"
    )


def requests_visible_to(user) -> QuerySet:
    return EngagementRequest.objects.filter(permissions.visible_requests_q(user))


def request_list(*, user, data) -> EngagementRequestFilter:
    """The public list: a bound FilterSet whose ``qs`` is the page's requests.

    Drafts never appear here, even to their owners (they have "your requests").
    """
    base = requests_with_related(
        EngagementRequest.objects.exclude(status=EngagementRequest.Status.DRAFT)
    ).annotate(
        answered_questions=Count("questions", filter=Q(questions__answered_at__isnull=False))
    )
    base = base.order_by("-published_at", "-pk")
    return EngagementRequestFilter(data, queryset=base)


# The list's filters counted per option (core.search.facet_counts: each ignores its own).
REQUEST_FACETS = (
    Facet("help", "help_kind"),
    Facet("region", "regions"),
    Facet("capability", "capabilities"),
)


def request_facets(filterset: EngagementRequestFilter) -> list[dict]:
    """The checkbox filters of the list with a count beside each option (what ticking it
    would give under the words and the other filters): one grouped query per facet,
    plus the region and capability options the form lists anyway."""
    counts = facet_counts(filterset, REQUEST_FACETS)
    form = filterset.form

    def chosen(name: str) -> set[str]:
        value = form[name].value() or []
        return {str(v) for v in (value if isinstance(value, list | tuple) else [value])}

    def options(name: str, items) -> dict:
        selected = chosen(name)
        return {
            "name": name,
            "label": form.fields[name].label,
            "options": [
                {
                    "value": value,
                    "label": label,
                    "count": counts[name].get(key, 0),
                    "selected": str(value) in selected,
                }
                for key, value, label in items
            ],
        }

    return [
        options("help", [(v, v, label) for v, label in EngagementRequest.HelpKind.choices]),
        options("region", [(r.pk, r.slug, r.name) for r in form.fields["region"].queryset]),
        options(
            "capability",
            [(c.pk, c.code, c.name) for c in form.fields["capability"].queryset],
        ),
    ]


def external_notices(filterset: EngagementRequestFilter) -> QuerySet:
    """Early market engagement published elsewhere (Contracts Finder, Find a Tender), for
    the list beside Techmap's own requests, under the filters that apply to it: status
    (open: no closing date or one still ahead), public body, and the search words (each
    in the title or description). Capability, region and kind of help are Techmap's own
    fields, so they do not narrow these notices."""
    qs = ExternalEngagementNotice.objects.select_related("buyer")
    data: dict = {}
    if filterset.is_bound:
        filterset.form.is_valid()
        # An invalid filter is left out of cleaned_data, so the valid ones still apply.
        data = filterset.form.cleaned_data
    status = data.get("status") or "open"
    now = timezone.now()
    if status == "open":
        qs = qs.filter(Q(closes_at__isnull=True) | Q(closes_at__gte=now))
    elif status == "closed":
        qs = qs.filter(closes_at__lt=now)
    if data.get("public_body"):
        qs = qs.filter(buyer=data["public_body"])
    words = [w.strip('"') for w in (data.get("q") or "").split() if w.strip('"')]
    for word in words[:20]:
        if word.lower() == "or":
            continue
        if word.startswith("-") and len(word) > 1:
            word = word[1:]
            qs = qs.exclude(Q(title__icontains=word) | Q(description__icontains=word))
        else:
            qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return qs.order_by("-published_at", "-pk")


def requests_owned_by(user) -> QuerySet:
    if not permissions.is_civil_servant(user):
        return EngagementRequest.objects.none()
    co_owned = EngagementRequest.co_owners.through.objects.filter(user=user).values(
        "engagementrequest_id"
    )
    return (
        EngagementRequest.objects.filter(Q(author=user) | Q(pk__in=co_owned))
        .select_related("public_body")
        .annotate(response_count=Count("responses"))
        .order_by("-created_at")
    )


def request_get(*, user, pk) -> EngagementRequest:
    """The request if the user may see it, else 404 (a draft's existence is not revealed)."""
    try:
        engagement_request = requests_with_related().get(pk=int(pk))
    except (EngagementRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such engagement request") from None
    if not permissions.can_view_request(user, engagement_request):
        raise Http404("No such engagement request")
    return engagement_request


def published_questions(engagement_request: EngagementRequest) -> QuerySet:
    """Answered questions: public to everyone, never with the asker's name."""
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request, answered_at__isnull=False
    ).only("pk", "question", "answer", "asked_at", "answered_at", "engagement_request_id")


def unanswered_questions(engagement_request: EngagementRequest) -> QuerySet:
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request, answered_at__isnull=True
    )


def questions_asked_by(engagement_request: EngagementRequest, supplier_ids: list[int]) -> QuerySet:
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request,
        supplier_id__in=supplier_ids,
        answered_at__isnull=True,
    )


def responses_for(engagement_request: EngagementRequest) -> QuerySet:
    return (
        SupplierResponse.objects.filter(engagement_request=engagement_request)
        .select_related("supplier", "submitted_by")
        .prefetch_related(Prefetch("case_studies", queryset=CaseStudy.objects.order_by("title")))
        .order_by("created_at", "pk")
    )


def responses_visible_to(user) -> QuerySet:
    """Responses the user may read: to requests they own, or from organisations they act for."""
    if not (user and user.is_authenticated):
        return SupplierResponse.objects.none()
    owned = requests_owned_by(user).values("pk")
    supplier_ids = Supplier.objects.filter(memberships__user=user).values("pk")
    return (
        SupplierResponse.objects.filter(
            Q(engagement_request__in=owned) | Q(supplier__in=supplier_ids)
        )
        .select_related("supplier", "engagement_request", "submitted_by")
        .prefetch_related(Prefetch("case_studies", queryset=CaseStudy.objects.order_by("title")))
    )


def response_of(engagement_request: EngagementRequest, supplier: Supplier):
    return (
        SupplierResponse.objects.filter(engagement_request=engagement_request, supplier=supplier)
        .prefetch_related("case_studies")
        .first()
    )


def matches_for(engagement_request: EngagementRequest) -> QuerySet:
    return (
        Match.objects.filter(engagement_request=engagement_request)
        .select_related("supplier")
        .order_by("rank")
    )


def participants_for(engagement_request: EngagementRequest) -> QuerySet:
    return (
        Participant.objects.filter(engagement_request=engagement_request)
        .select_related("supplier", "supplier__hq_region")
        .order_by("supplier__name", "kind", "pk")
    )


def suppliers_acting_for(user) -> QuerySet:
    """Published suppliers the user may respond or ask for."""
    if not (user and user.is_authenticated and user.is_active):
        return Supplier.objects.none()
    return Supplier.objects.filter(
        memberships__user=user, status=Supplier.Status.PUBLISHED
    ).order_by("name")
