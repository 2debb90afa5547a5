"""Reads for early engagement: querysets scoped to what the user may see, fully loaded."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.home import HomeEntry, HomeItem, first_and_count
from core.search import Facet, facet_counts
from engagement import permissions
from engagement.filters import EngagementRequestFilter
from engagement.models import (
    AlertPreference,
    ClarificationQuestion,
    EngagementRequest,
    Match,
    Participant,
    RequestChange,
    RespondentMessage,
    SupplierResponse,
)
from suppliers.models import CaseStudy, ExternalEngagementNotice, Supplier, SupplierMembership


def requests_with_related(queryset: QuerySet | None = None) -> QuerySet:
    queryset = EngagementRequest.objects.all() if queryset is None else queryset
    return queryset.select_related("public_body", "author").prefetch_related(
        "capabilities", "regions", "co_owners"
    )


def requests_visible_to(user) -> QuerySet:
    return EngagementRequest.objects.filter(permissions.visible_requests_q(user))


def _for_suppliers_of(user) -> dict:
    """``matched`` and ``responded`` for the published suppliers the user acts for.

    Matched means a Match row: the matching rule (engagement.matching) picked the supplier
    when the request was published, the same rule its alerts followed. Subqueries, so the
    list runs the same queries however many requests or organisations there are.
    """
    if not (user and user.is_authenticated and user.is_active):
        return {"matched": Value(False), "responded": Value(False)}
    suppliers = SupplierMembership.objects.filter(
        user=user, supplier__status=Supplier.Status.PUBLISHED
    ).values("supplier_id")
    return {
        "matched": Exists(
            Match.objects.filter(engagement_request=OuterRef("pk"), supplier_id__in=suppliers)
        ),
        "responded": Exists(
            SupplierResponse.objects.filter(
                engagement_request=OuterRef("pk"), supplier_id__in=suppliers
            )
        ),
    }


def request_list(*, user, data) -> EngagementRequestFilter:
    """The public list: a bound FilterSet whose ``qs`` is the page's requests.

    Drafts never appear here, even to their owners (they have "your requests"). Each
    request says whether it ``matched`` one of the user's organisations and whether one
    ``responded``.
    """
    base = requests_with_related(
        EngagementRequest.objects.exclude(status=EngagementRequest.Status.DRAFT)
    ).annotate(
        answered_questions=Count("questions", filter=Q(questions__answered_at__isnull=False)),
        **_for_suppliers_of(user),
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
    """Questions waiting for the owners: neither answered nor declined."""
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request, answered_at__isnull=True, declined_at__isnull=True
    )


def declined_questions(engagement_request: EngagementRequest) -> QuerySet:
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request, declined_at__isnull=False
    )


def request_changes(engagement_request: EngagementRequest) -> QuerySet:
    """The public change log of a published request: corrections and new deadlines."""
    return RequestChange.objects.filter(engagement_request=engagement_request)


def messages_sent(engagement_request: EngagementRequest) -> QuerySet:
    return RespondentMessage.objects.filter(engagement_request=engagement_request)


def questions_asked_by(engagement_request: EngagementRequest, supplier_ids: list[int]) -> QuerySet:
    return ClarificationQuestion.objects.filter(
        engagement_request=engagement_request,
        supplier_id__in=supplier_ids,
        answered_at__isnull=True,
        declined_at__isnull=True,
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


# --- The user's home page ------------------------------------------------------------


def home_items(user) -> list[HomeItem]:
    """What waits for ``user`` in early engagement, oldest (or most urgent) first.

    A civil servant who owns requests: questions to answer and responses not yet read
    (marked). A supplier's people: open requests their organisation was matched to and
    has not answered, the responses it has sent, and its alert settings. One query per
    item.
    """
    items: list[HomeItem] = []
    owned = permissions.owned_requests_q(user)
    if permissions.is_civil_servant(user):
        questions, count = first_and_count(
            ClarificationQuestion.objects.filter(
                answered_at__isnull=True,
                engagement_request__in=EngagementRequest.objects.filter(owned).values("pk"),
            )
            .select_related("engagement_request")
            .order_by("asked_at", "pk")
        )
        items.append(
            HomeItem(
                "questions_to_answer",
                "questions to answer",
                count,
                reverse("engagement:yours"),
                [
                    HomeEntry(
                        q.engagement_request.title,
                        reverse("engagement:questions", args=[q.engagement_request_id]),
                        q.asked_at,
                        note="asked",
                    )
                    for q in questions
                ],
                group=GROUP,
                one="question to answer",
            )
        )
        responses, count = first_and_count(
            SupplierResponse.objects.filter(
                mark=SupplierResponse.Mark.UNMARKED,
                engagement_request__in=EngagementRequest.objects.filter(owned).values("pk"),
            )
            .select_related("engagement_request", "supplier")
            .order_by("created_at", "pk")
        )
        items.append(
            HomeItem(
                "responses_to_read",
                "responses to read",
                count,
                reverse("engagement:yours"),
                [
                    HomeEntry(
                        f"{r.supplier.name} on {r.engagement_request.title}",
                        reverse("engagement:responses", args=[r.engagement_request_id]),
                        r.created_at,
                        note="sent",
                    )
                    for r in responses
                ],
                group=GROUP,
                one="response to read",
            )
        )
    supplier_ids = permissions.supplier_ids_for(user)
    if supplier_ids:
        answered = SupplierResponse.objects.filter(
            supplier_id=OuterRef("supplier_id"),
            engagement_request_id=OuterRef("engagement_request_id"),
        )
        matches, count = first_and_count(
            Match.objects.filter(
                supplier_id__in=supplier_ids,
                engagement_request__status=EngagementRequest.Status.OPEN,
                engagement_request__response_deadline__gt=timezone.now(),
            )
            .exclude(Exists(answered))
            .select_related("engagement_request", "supplier")
            .order_by("engagement_request__response_deadline", "pk")
        )
        items.append(
            HomeItem(
                "requests_to_answer",
                "requests that match you, not yet answered",
                count,
                reverse("engagement:list"),
                [
                    HomeEntry(
                        m.engagement_request.title,
                        reverse("engagement:detail", args=[m.engagement_request_id]),
                        m.engagement_request.response_deadline,
                        note=f"matches {m.supplier.name}; closes",
                    )
                    for m in matches
                ],
                group=GROUP,
                one="request that matches you, not yet answered",
            )
        )
        responses, count = first_and_count(
            SupplierResponse.objects.filter(supplier_id__in=supplier_ids)
            .select_related("engagement_request", "supplier")
            .order_by("created_at", "pk")
        )
        items.append(
            HomeItem(
                "requests_answered",
                "requests you have answered",
                count,
                reverse("engagement:list"),
                [
                    HomeEntry(
                        r.engagement_request.title,
                        reverse("engagement:detail", args=[r.engagement_request_id]),
                        r.created_at,
                        note=f"{r.supplier.name} answered",
                    )
                    for r in responses
                ],
                group=GROUP,
                one="request you have answered",
                needs_action=False,
            )
        )
        suppliers = list(
            Supplier.objects.filter(pk__in=supplier_ids)
            .select_related("engagement_alert_preference")
            .order_by("name")
        )
        items.append(
            HomeItem(
                "alert_settings",
                "alert settings",
                len(suppliers),
                reverse("engagement:alerts"),
                [
                    HomeEntry(
                        f"Alerts for {s.name}",
                        reverse("engagement:alerts") + f"?supplier={s.slug}",
                        note=_alert_frequency(s),
                    )
                    for s in suppliers
                ],
                group=GROUP,
                one="alert setting",
                needs_action=False,
            )
        )
    return items


GROUP = "Early engagement"


def _alert_frequency(supplier: Supplier) -> str:
    try:
        preference = supplier.engagement_alert_preference
    except AlertPreference.DoesNotExist:
        return f"{AlertPreference.Frequency.IMMEDIATE.label} (not yet set)"
    return preference.get_frequency_display()
