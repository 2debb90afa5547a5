"""Factories and builders for the den's models.

``build(status, ...)`` makes a proposal in any lifecycle state by walking the real
services (so every step is recorded), with a proposer, a confirmed partner and a
two-person panel. Keep calls few: each walks the whole lifecycle up to ``status``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import factory
from django.utils import timezone

from innovation_den import services
from innovation_den.models import Proposal, ProposalPartner, ReviewRound
from tests import factories

Status = Proposal.Status

HYPOTHESIS = (
    "We believe a route planner for community nurses will cut driving time measured by "
    "minutes driven per visit."
)


class ReviewRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewRound

    name = factory.Sequence(lambda n: f"Round {n}")
    opened_by = factory.SubFactory(factories.ModeratorFactory)


def scores(value: int = 4, **overrides) -> dict:
    data = {}
    for code in ("public_value", "feasibility", "innovation", "safety"):
        data[code] = overrides.get(code, value)
        data[f"{code}_comment"] = f"Comment on {code}."
    return data


@dataclass
class Cast:
    """Everyone involved in one built proposal."""

    proposal: Proposal
    proposer: object
    moderator: object
    panel: list = field(default_factory=list)
    partner_owner: object = None
    partner_member: object = None
    review_round: ReviewRound | None = None


def draft(*, proposer=None, title: str = "Route planning for nurses", **kwargs) -> Proposal:
    """A complete draft (criteria, stop criterion, risk) by a civil servant."""
    proposer = proposer or factories.CivilServantFactory()
    fields = {
        "title": title,
        "problem": "Nurses spend two hours a day driving between visits.",
        "public_body": proposer.public_body or factories.PublicBodyFactory(),
        "hypothesis": HYPOTHESIS,
        "weeks": 8,
        "budget_cap": 40000,
        "data_allowed": ["synthetic", "anonymised"],
        **kwargs,
    }
    proposal = services.proposal_create(actor=proposer, **fields)
    services.success_criterion_add(
        actor=proposer,
        proposal=proposal,
        description="Less driving",
        measure="Minutes driven per visit",
        target="20% less",
    )
    services.stop_criterion_add(
        actor=proposer, proposal=proposal, description="A time-critical visit is missed"
    )
    services.risk_add(
        actor=proposer,
        proposal=proposal,
        description="Routes ignore patient needs",
        mitigation="Nurses can override every route",
    )
    return proposal


def build(
    status: str,
    *,
    proposer=None,
    moderator=None,
    supplier=None,
    with_partner: bool = True,
    met: bool | None = None,
    title: str = "Route planning for nurses",
    lessons: str = "Routes saved time once nurses trusted them.",
    panel_size: int = 2,
) -> Cast:
    """A proposal in ``status`` (any state of the lifecycle), made through the services."""
    moderator = moderator or factories.ModeratorFactory()
    proposal = draft(proposer=proposer, title=title)
    proposer = proposal.proposer
    cast = Cast(proposal=proposal, proposer=proposer, moderator=moderator)
    if with_partner:
        membership = factories.MembershipFactory(
            role="owner", supplier=supplier or factories.SupplierFactory()
        )
        cast.partner_owner = membership.user
        cast.partner_member = factories.MembershipFactory(
            role="member", supplier=membership.supplier
        ).user
        partner = services.partner_add(
            actor=proposer, proposal=proposal, supplier=membership.supplier
        )
        services.partner_answer(actor=cast.partner_owner, partner=partner, confirm=True)
    if status == Status.DRAFT:
        return cast
    services.proposal_submit(actor=proposer, proposal=proposal)
    if status == Status.SUBMITTED:
        return cast
    cast.review_round = ReviewRoundFactory(opened_by=moderator)
    for _ in range(panel_size):
        person = factories.CivilServantFactory()
        services.panel_member_add(
            actor=moderator, review_round=cast.review_round, reviewer_email=person.email
        )
        cast.panel.append(person)
    services.proposal_start_review(
        actor=moderator, proposal=proposal, review_round=cast.review_round
    )
    if status == Status.IN_REVIEW:
        return cast
    for person in cast.panel:
        services.review_submit(actor=person, proposal=proposal, scores=scores())
    services.proposal_decide(
        actor=moderator,
        proposal=proposal,
        accept=status != Status.DECLINED,
        reason="Sound design and a safe sandbox.",
    )
    if status in (Status.ACCEPTED, Status.DECLINED):
        return cast
    services.proposal_start(actor=proposer, proposal=proposal)
    if status == Status.RUNNING:
        return cast
    services.proposal_evaluate(
        actor=proposer,
        proposal=proposal,
        results={
            c.pk: ("Driving fell by 12%.", bool(met)) for c in proposal.success_criteria.all()
        },
        lessons_learned=lessons,
        next_steps="Try it in two more trusts.",
    )
    if status == Status.EVALUATED:
        return cast
    if status == Status.GRADUATED:
        services.proposal_graduate(
            actor=proposer, proposal=proposal, graduation_url="https://example.gov.uk/tender/1"
        )
    else:
        services.proposal_close(actor=proposer, proposal=proposal)
    return cast


def make_overdue(proposal: Proposal) -> Proposal:
    """Move a running trial's dates into the past, as if its end date had passed."""
    start = timezone.localdate() - datetime.timedelta(weeks=proposal.weeks + 1)
    Proposal.objects.filter(pk=proposal.pk).update(
        start_date=start, end_date=start + datetime.timedelta(weeks=proposal.weeks)
    )
    proposal.refresh_from_db()
    return proposal


def add_partner(proposal: Proposal, *, proposer) -> ProposalPartner:
    return services.partner_add(
        actor=proposer, proposal=proposal, supplier=factories.SupplierFactory()
    )
