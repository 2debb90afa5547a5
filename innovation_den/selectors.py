"""Every non-trivial read in the den: what a user may see, lists, the review summary."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse

from accounts.permissions import is_civil_servant
from core.home import HomeEntry, HomeItem, first_and_count
from core.search import Facet, facet_counts
from innovation_den import permissions
from innovation_den.models import (
    Proposal,
    ProposalPartner,
    Review,
    summarise_scores,
)
from suppliers.models import Supplier
from suppliers.selectors.search import SearchParams, SupplierSearch

Status = Proposal.Status


def proposals_visible_to(user) -> QuerySet[Proposal]:
    """Public trials for everyone; drafts and reviews only for the people involved."""
    return Proposal.objects.filter(permissions.visible_proposals_q(user))


def with_list_related(queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
    """Everything a list row shows, in a fixed number of queries."""
    return queryset.select_related("public_body", "proposer").prefetch_related(
        "capabilities",
        Prefetch(
            "partners",
            queryset=ProposalPartner.objects.select_related("supplier").filter(
                status=ProposalPartner.Status.CONFIRMED
            ),
            to_attr="confirmed_partners",
        ),
        "success_criteria",
    )


def lessons(queryset: QuerySet[Proposal] | None = None) -> QuerySet[Proposal]:
    """Every evaluated trial, newest evaluation first, whatever its outcome."""
    queryset = Proposal.objects.all() if queryset is None else queryset
    return with_list_related(
        queryset.filter(status__in=Proposal.EVALUATED_STATUSES).order_by("-evaluated_at", "-pk")
    )


def outcome_counts(queryset: QuerySet[Proposal]) -> dict[str, int]:
    rows = queryset.order_by().values("outcome").annotate(n=Count("pk"))
    counts = {row["outcome"]: row["n"] for row in rows}
    return {value: counts.get(value, 0) for value in Proposal.Outcome.values}


def partner_search(proposal: Proposal, q: str, *, correct: bool = True) -> SupplierSearch:
    """The registry's own search (spelling correction, capabilities and synonyms, "why it
    matched") over published suppliers not yet partners of ``proposal``. Its first page
    is ``.page(1)``; ``.correction`` says what was corrected."""
    base = Supplier.objects.exclude(den_partnerships__proposal=proposal)
    return SupplierSearch(SearchParams(q=q, correct=correct), base=base)


def lesson_outcome_counts(filterset) -> dict[str, int]:
    """The lessons per outcome under the words and the other filters (the outcome facet,
    which ignores its own filter): one grouped query (core.search.facet_counts)."""
    counts = facet_counts(filterset, [Facet("outcome", "outcome")])["outcome"]
    return {value: counts.get(value, 0) for value in Proposal.Outcome.values}


def proposal_detail(pk: int) -> Proposal:
    """One proposal with everything its page shows."""
    return (
        Proposal.objects.select_related(
            "public_body",
            "proposer",
            "sponsor",
            "review_round",
            "decided_by",
            "engagement_request",
            "contract",
        )
        .prefetch_related(
            "capabilities",
            Prefetch("partners", queryset=ProposalPartner.objects.select_related("supplier")),
            "success_criteria",
            "stop_criteria",
            "risks",
            "progress_notes__author",
            "transitions__by",
        )
        .get(pk=pk)
    )


def review_state(user, proposal: Proposal) -> dict:
    """What the review part of a proposal page shows to ``user``, blind scoring applied.

    Nobody on the panel sees anyone else's scores, or the means, until they have
    scored themselves; moderators see everything; once decided, the means are shown
    to whoever may see the proposal.
    """
    if proposal.review_round_id is None:
        return {"reviews": [], "summary": None, "has_scored": False, "can_score": False}
    reviews = list(
        Review.objects.filter(proposal=proposal, review_round_id=proposal.review_round_id)
        .select_related("reviewer")
        .order_by("submitted_at", "pk")
    )
    mine = next((r for r in reviews if user.is_authenticated and r.reviewer_id == user.pk), None)
    has_scored = mine is not None
    individual = permissions.can_see_individual_scores(user, proposal, has_scored=has_scored)
    show_summary = permissions.can_see_score_summary(user, proposal, has_scored=has_scored)
    state = {
        "own_review": mine,
        "has_scored": has_scored,
        "reviews": reviews if individual else ([mine] if mine else []),
        "review_count": len(reviews),
        "summary": summarise_scores(reviews) if show_summary and reviews else None,
        "can_score": not has_scored and permissions.can_score(user, proposal),
        "conflict": permissions.conflict_of_interest(user, proposal)
        if permissions.is_panel_member(user, proposal)
        else None,
    }
    return state


# --- The user's home page ------------------------------------------------------------

HOME_GROUP = "Innovation den"


def home_items(user) -> list[HomeItem]:
    """What waits for ``user`` in the den, oldest first, one query per item.

    A civil servant: trials to score (their panel's, not yet scored, no conflict of
    interest) and trials that name them as sponsor, not yet confirmed. A supplier's
    people: the trials their organisations partner in (or are asked to).
    """
    items: list[HomeItem] = []
    if is_civil_servant(user):
        scored = Review.objects.filter(
            proposal=OuterRef("pk"), review_round=OuterRef("review_round"), reviewer=user
        )
        to_score, count = first_and_count(
            Proposal.objects.filter(permissions.scorable_q(user))
            .exclude(Exists(scored))
            .order_by("submitted_at", "pk")
        )
        items.append(
            HomeItem(
                "trials_to_score",
                "trials to score",
                count,
                reverse("innovation_den:proposals"),
                [
                    HomeEntry(
                        p.title,
                        reverse("innovation_den:review", args=[p.pk]),
                        p.submitted_at,
                        note="submitted",
                    )
                    for p in to_score
                ],
                group=HOME_GROUP,
                one="trial to score",
            )
        )
        to_sponsor, count = first_and_count(
            Proposal.objects.filter(
                sponsor=user,
                sponsor_confirmed_at__isnull=True,
                public_body_id=user.public_body_id,
            )
            .exclude(status__in=[Status.DECLINED, Status.CLOSED])
            .order_by("created_at", "pk")
        )
        items.append(
            HomeItem(
                "trials_to_sponsor",
                "trials to sponsor",
                count,
                reverse("innovation_den:proposals"),
                [
                    HomeEntry(
                        p.title,
                        reverse("innovation_den:proposal", args=[p.pk]),
                        p.created_at,
                        note="proposed",
                    )
                    for p in to_sponsor
                ],
                group=HOME_GROUP,
                one="trial to sponsor",
            )
        )
    if user.is_authenticated:
        partnerships, count = first_and_count(
            ProposalPartner.objects.filter(supplier__memberships__user=user)
            .exclude(status=ProposalPartner.Status.DECLINED)
            .select_related("proposal", "supplier")
            .order_by("added_at", "pk")
        )
        if count:
            items.append(
                HomeItem(
                    "trials_partnered",
                    "trials you partner in",
                    count,
                    reverse("innovation_den:proposals"),
                    [
                        HomeEntry(
                            p.proposal.title,
                            reverse("innovation_den:proposal", args=[p.proposal_id]),
                            p.added_at,
                            note=(
                                f"{p.supplier.name} asked to take part"
                                if p.status == ProposalPartner.Status.PENDING
                                else f"{p.supplier.name} takes part; "
                                f"{p.proposal.get_status_display().lower()}"
                            ),
                        )
                        for p in partnerships
                    ],
                    group=HOME_GROUP,
                    one="trial you partner in",
                )
            )
    return items
