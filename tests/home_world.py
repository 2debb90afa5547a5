"""The ``world`` fixture: something waiting on each role's home (tests/techmap/test_home.py
and tests/browser/test_home_journeys.py). The cast is tests/conftest.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from engagement import services as engagement_services
from engagement.models import EngagementRequest, Match
from innovation_den import services as den_services
from innovation_den.models import Proposal
from reporting import services as reporting_services
from suppliers.models import Capability, Shortlist, ShortlistEntry
from tests.engagement.factories import EngagementRequestFactory
from tests.innovation_den import factories as den_factories
from tests.reporting.factories import ContractFactory, last_quarter, values


def new_request(**kwargs) -> EngagementRequest:
    """A published request (the factory's draft, with a capability, through the service)."""
    capability = Capability.objects.order_by("pk").first()
    request = EngagementRequestFactory(capabilities=[capability], **kwargs)
    return publish(request)


def publish(request: EngagementRequest) -> EngagementRequest:
    return engagement_services.engagement_request_publish(
        actor=request.author, engagement_request=request
    )


@dataclass
class World:
    matched: EngagementRequest  # open, matched to ``supplier``, not answered
    answered: EngagementRequest  # ``supplier`` responded
    questioned: EngagementRequest  # another supplier asked a question
    overdue_contract: object
    queried_report: object
    replied_report: object
    submitted_report: object
    partnered: Proposal
    to_sponsor: Proposal
    to_score: Proposal
    shortlists: list


@pytest.fixture
def world(supplier, owner, member, other_owner, civil_servant) -> World:
    other = other_owner.supplier_memberships.get().supplier
    # Early engagement, owned by the civil servant.
    matched = new_request(author=civil_servant, title="Matched request")
    Match.objects.get_or_create(
        engagement_request=matched,
        supplier=supplier,
        defaults={"rank": 1, "score": 1.0, "reason": "Offers what is asked"},
    )
    answered = new_request(author=civil_servant, title="Answered request")
    engagement_services.response_submit(
        actor=member, engagement_request=answered, supplier=supplier, summary="We do this."
    )
    questioned = new_request(author=civil_servant, title="Asked request")
    engagement_services.question_ask(
        actor=other_owner, engagement_request=questioned, supplier=other, question="When?"
    )
    # Contract reporting: the civil servant's body buys from the supplier.
    body = civil_servant.public_body
    overdue_contract = ContractFactory(supplier=supplier, buyer=body, title="Overdue contract")
    queried_contract = ContractFactory(supplier=supplier, buyer=body, title="Queried contract")
    replied_contract = ContractFactory(supplier=supplier, buyer=body, title="Replied contract")
    reports = {}
    for contract in (overdue_contract, queried_contract, replied_contract):
        for back in (1, 2):
            if contract is overdue_contract and back == 2:
                continue  # the quarter before last is never reported: overdue
            reports[contract.pk, back] = reporting_services.report_submit(
                actor=owner, contract=contract, period=last_quarter(back), values=values()
            )
    queried = reporting_services.report_query(
        actor=civil_servant, report=reports[queried_contract.pk, 1], reason="Check uptime"
    )
    replied = reporting_services.report_query(
        actor=civil_servant, report=reports[replied_contract.pk, 1], reason="Check spend"
    )
    replied = reporting_services.report_reply(actor=owner, report=replied, message="Checked.")
    for key in ((queried_contract.pk, 2), (replied_contract.pk, 2)):
        reporting_services.report_accept(actor=civil_servant, report=reports[key])
    # The innovation den: the supplier partners in a trial; the civil servant sponsors one.
    partnered = den_factories.build(Proposal.Status.SUBMITTED, supplier=supplier).proposal
    to_sponsor = den_factories.draft(
        proposer=other_owner,
        title="A trial to sponsor",
        public_body=body,
        sponsor_email=civil_servant.email,
    )
    # A trial in review whose panel the civil servant sits on.
    in_review = den_factories.build(Proposal.Status.IN_REVIEW, title="A trial to score")
    den_services.panel_member_add(
        actor=in_review.moderator, review_round=in_review.review_round, reviewer=civil_servant
    )
    # Shortlists, made a day apart.
    shortlists = []
    for days, name in ((2, "Older list"), (1, "Newer list")):
        shortlist = Shortlist.objects.create(owner=civil_servant, name=name)
        Shortlist.objects.filter(pk=shortlist.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
        shortlists.append(shortlist)
    ShortlistEntry.objects.create(shortlist=shortlists[0], supplier=supplier)
    return World(
        matched=matched,
        answered=answered,
        questioned=questioned,
        overdue_contract=overdue_contract,
        queried_report=queried,
        replied_report=replied,
        submitted_report=reports[overdue_contract.pk, 1],
        partnered=partnered,
        to_sponsor=to_sponsor,
        to_score=in_review.proposal,
        shortlists=shortlists,
    )
