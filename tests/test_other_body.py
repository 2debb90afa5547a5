"""Every write a public body's buyer may make, tried by a civil servant of ANOTHER body.

Each case sets up something that belongs to body A, then runs the write as A's buyer
(who must succeed) and as a civil servant of body B (who must be refused, with nothing
changed). Services, web pages and the API are all tried; a new write for a body's buyer
belongs in ``CASES``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from engagement import services as engagement_services
from engagement.models import EngagementRequest
from innovation_den import services as den_services
from innovation_den.models import Proposal
from reporting import services as reporting_services
from reporting.models import Contract, ContractReport
from suppliers.models import Capability, Region
from tests import factories
from tests.engagement.factories import EngagementRequestFactory
from tests.innovation_den.factories import HYPOTHESIS
from tests.innovation_den.factories import draft as den_draft
from tests.reporting.factories import ContractFactory, last_quarter, values

pytestmark = pytest.mark.django_db


@dataclass
class World:
    body: Any  # A
    buyer: Any  # a civil servant of A
    outsider: Any  # a civil servant of B
    thing: Any = None


@dataclass
class Case:
    setup: Callable[[World], Any]
    write: Callable[[World, Any], Any]  # runs the write as the given user
    happened: Callable[[World], bool]  # did the write take effect?


def _report(world: World) -> ContractReport:
    contract = ContractFactory(buyer=world.body)
    owner = factories.MembershipFactory(supplier=contract.supplier, role="owner").user
    return reporting_services.report_submit(
        actor=owner, contract=contract, period=last_quarter(), values=values()
    )


def _status(report_status: str) -> Callable[[World], bool]:
    return lambda w: ContractReport.objects.get(pk=w.thing.pk).status == report_status


def _draft(world: World) -> EngagementRequest:
    return EngagementRequestFactory(
        author=world.buyer,
        capabilities=[Capability.objects.order_by("pk").first()],
        regions=[Region.objects.order_by("pk").first()],
    )


def _open(world: World) -> EngagementRequest:
    return engagement_services.engagement_request_publish(
        actor=world.buyer, engagement_request=_draft(world)
    )


def _er_status(status: str) -> Callable[[World], bool]:
    return lambda w: EngagementRequest.objects.get(pk=w.thing.pk).status == status


def _web(method: str, url: Callable[[World], str], data: dict | None = None):
    def write(world: World, user):
        client = factories_client(user)
        got = getattr(client, method)(url(world), data or {})
        if got.status_code in (403, 404):
            raise PermissionDenied(got.status_code)
        return got

    return write


def _api(url: Callable[[World], str], data: dict | None = None, method: str = "post"):
    def write(world: World, user):
        client = APIClient()
        client.force_authenticate(user)
        got = getattr(client, method)(url(world), data or {}, format="json")
        if got.status_code in (403, 404):
            raise PermissionDenied(got.status_code)
        assert got.status_code < 300, got.content
        return got

    return write


def factories_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _den_fields(body) -> dict:
    return {
        "title": "Trial for another body",
        "problem": "A problem",
        "public_body": body,
        "hypothesis": HYPOTHESIS,
        "weeks": 8,
        "budget_cap": 40000,
        "data_allowed": ["synthetic"],
    }


def _supplier_draft(world: World, *, confirmed: bool = False) -> Proposal:
    """A supplier's complete draft for A, sponsored by A's buyer (confirmed, if asked)."""
    owner = factories.MembershipFactory(role="owner").user
    proposal = den_draft(proposer=owner, public_body=world.body, sponsor_email=world.buyer.email)
    if confirmed:
        den_services.sponsorship_confirm(actor=world.buyer, proposal=proposal)
    return proposal


def _as_sponsor(write: Callable[[World, Any], Any]) -> Callable[[World, Any], Any]:
    """Run ``write`` as the sponsor on record: ``user`` named while at A, since moved body.

    The den refuses to name a civil servant of another body, so the record is put there
    directly, as it would be for someone who changed body after being named.
    """

    def run(world: World, user):
        Proposal.objects.filter(pk=world.thing.pk).update(sponsor=user)
        world.thing.refresh_from_db()
        return write(world, user)

    return run


def _sponsor_confirmed(world: World) -> bool:
    return Proposal.objects.get(pk=world.thing.pk).sponsor_confirmed_at is not None


CASES: dict[str, Case] = {
    # --- reporting: services ---
    "report accept": Case(
        _report,
        lambda w, u: reporting_services.report_accept(actor=u, report=w.thing),
        _status(ContractReport.Status.ACCEPTED),
    ),
    "report query": Case(
        _report,
        lambda w, u: reporting_services.report_query(actor=u, report=w.thing, reason="Why?"),
        _status(ContractReport.Status.QUERIED),
    ),
    "contract edit": Case(
        lambda w: ContractFactory(buyer=w.body),
        lambda w, u: reporting_services.contract_update(actor=u, contract=w.thing, title="Mine"),
        lambda w: Contract.objects.get(pk=w.thing.pk).title == "Mine",
    ),
    "contract recorded in the body's name": Case(
        lambda w: factories.SupplierFactory(),
        lambda w, u: reporting_services.contract_create(
            actor=u,
            ocid="ocds-test01-other-body",
            title="Recorded for A",
            supplier=w.thing,
            category=factories.CapabilityGroupFactory(),
            buyer=w.body,
        ),
        lambda w: Contract.objects.filter(ocid="ocds-test01-other-body", buyer=w.body).exists(),
    ),
    # --- reporting: web and API ---
    "web: report accept": Case(
        _report,
        _web("post", lambda w: reverse("reporting:report_accept", args=[w.thing.pk])),
        _status(ContractReport.Status.ACCEPTED),
    ),
    "web: report query": Case(
        _report,
        _web(
            "post",
            lambda w: reverse("reporting:report_query", args=[w.thing.pk]),
            {"reason": "Please check the figures"},
        ),
        _status(ContractReport.Status.QUERIED),
    ),
    "api: report accept": Case(
        _report,
        _api(lambda w: f"/api/v1/reports/{w.thing.pk}/accept/"),
        _status(ContractReport.Status.ACCEPTED),
    ),
    "api: report query": Case(
        _report,
        _api(lambda w: f"/api/v1/reports/{w.thing.pk}/query/", {"reason": "Please check"}),
        _status(ContractReport.Status.QUERIED),
    ),
    "api: contract edit": Case(
        lambda w: ContractFactory(buyer=w.body),
        _api(lambda w: f"/api/v1/contracts/{w.thing.ocid}/", {"title": "Mine"}, method="patch"),
        lambda w: Contract.objects.get(pk=w.thing.pk).title == "Mine",
    ),
    # --- engagement ---
    "engagement: open a request as the body": Case(
        lambda w: None,
        lambda w, u: engagement_services.engagement_request_create(
            actor=u, title="Asked in A's name", public_body=w.body
        ),
        lambda w: EngagementRequest.objects.filter(
            title="Asked in A's name", public_body=w.body
        ).exists(),
    ),
    "engagement: edit a draft": Case(
        _draft,
        lambda w, u: engagement_services.engagement_request_update_draft(
            actor=u, engagement_request=w.thing, title="Rewritten"
        ),
        lambda w: EngagementRequest.objects.get(pk=w.thing.pk).title == "Rewritten",
    ),
    "engagement: publish": Case(
        _draft,
        lambda w, u: engagement_services.engagement_request_publish(
            actor=u, engagement_request=w.thing
        ),
        _er_status(EngagementRequest.Status.OPEN),
    ),
    "engagement: withdraw": Case(
        _open,
        lambda w, u: engagement_services.engagement_request_withdraw(
            actor=u, engagement_request=w.thing, reason="No longer needed"
        ),
        _er_status(EngagementRequest.Status.WITHDRAWN),
    ),
    "engagement: close": Case(
        _open,
        lambda w, u: engagement_services.engagement_request_close(
            actor=u, engagement_request=w.thing
        ),
        _er_status(EngagementRequest.Status.CLOSED),
    ),
    "engagement: add a co-owner": Case(
        _draft,
        lambda w, u: engagement_services.engagement_request_add_co_owner(
            actor=u,
            engagement_request=w.thing,
            email=factories.CivilServantFactory(public_body=w.body).email,
        ),
        lambda w: EngagementRequest.objects.get(pk=w.thing.pk).co_owners.exists(),
    ),
    "web: engagement draft step": Case(
        _draft,
        _web(
            "post",
            lambda w: reverse("engagement:step", args=[w.thing.pk, "title"]),
            {"title": "Rewritten"},
        ),
        lambda w: EngagementRequest.objects.get(pk=w.thing.pk).title == "Rewritten",
    ),
    "web: engagement withdraw": Case(
        _open,
        _web(
            "post",
            lambda w: reverse("engagement:withdraw", args=[w.thing.pk]),
            {"reason": "No longer needed"},
        ),
        _er_status(EngagementRequest.Status.WITHDRAWN),
    ),
    # --- innovation den ---
    "den: propose a trial in the body's name": Case(
        lambda w: None,
        lambda w, u: den_services.proposal_create(actor=u, **_den_fields(w.body)),
        lambda w: Proposal.objects.filter(
            title="Trial for another body", public_body=w.body
        ).exists(),
    ),
    "den: edit the body's proposal": Case(
        lambda w: den_draft(proposer=w.buyer),
        lambda w, u: den_services.proposal_update(actor=u, proposal=w.thing, **_den_fields(w.body)),
        lambda w: Proposal.objects.get(pk=w.thing.pk).title == "Trial for another body",
    ),
    "den: be named sponsor of a trial for the body": Case(
        lambda w: factories.MembershipFactory(role="owner").user,
        lambda w, u: den_services.proposal_create(
            actor=w.thing, **_den_fields(w.body), sponsor_email=u.email
        ),
        lambda w: Proposal.objects.filter(public_body=w.body, sponsor__isnull=False).exists(),
    ),
    "den: be named sponsor when a draft is edited": Case(
        lambda w: den_draft(
            proposer=factories.MembershipFactory(role="owner").user,
            public_body=w.body,
            sponsor_email=factories.CivilServantFactory(public_body=w.body).email,
        ),
        lambda w, u: den_services.proposal_update(
            actor=w.thing.proposer, proposal=w.thing, **_den_fields(w.body), sponsor_email=u.email
        ),
        lambda w: Proposal.objects.get(pk=w.thing.pk).title == "Trial for another body",
    ),
    "den: confirm sponsorship": Case(
        _supplier_draft,
        _as_sponsor(lambda w, u: den_services.sponsorship_confirm(actor=u, proposal=w.thing)),
        _sponsor_confirmed,
    ),
    "web: den confirm sponsorship": Case(
        _supplier_draft,
        _as_sponsor(
            _web("post", lambda w: reverse("innovation_den:sponsor_confirm", args=[w.thing.pk]))
        ),
        _sponsor_confirmed,
    ),
    "den: submit as the confirmed sponsor": Case(
        lambda w: _supplier_draft(w, confirmed=True),
        _as_sponsor(lambda w, u: den_services.proposal_submit(actor=u, proposal=w.thing)),
        lambda w: Proposal.objects.get(pk=w.thing.pk).status == Proposal.Status.SUBMITTED,
    ),
}


@pytest.fixture
def world(db) -> World:
    body = factories.PublicBodyFactory(name="Department A")
    other = factories.PublicBodyFactory(name="Department B")
    return World(
        body=body,
        buyer=factories.CivilServantFactory(public_body=body),
        outsider=factories.CivilServantFactory(public_body=other),
    )


@pytest.mark.parametrize("name", list(CASES))
def test_the_bodys_buyer_may(world, name):
    case = CASES[name]
    world.thing = case.setup(world)
    case.write(world, world.buyer)
    assert case.happened(world)


@pytest.mark.parametrize("name", list(CASES))
def test_a_civil_servant_of_another_body_may_not(world, name):
    case = CASES[name]
    world.thing = case.setup(world)
    with contextlib.suppress(PermissionDenied, ValidationError):
        case.write(world, world.outsider)
    assert not case.happened(world)


@pytest.mark.parametrize("name", list(CASES))
def test_a_civil_servant_waiting_for_approval_may_not(world, name):
    """Someone who asked to join A, not yet approved, has none of A's powers."""
    from accounts import services as account_services

    case = CASES[name]
    world.thing = case.setup(world)
    waiting = factories.CivilServantFactory(public_body=None, email="new@elsewhere.gov.uk")
    membership = account_services.public_body_request(
        actor=waiting, user=waiting, public_body=world.body
    )
    assert membership.status == "pending"
    with contextlib.suppress(PermissionDenied, ValidationError):
        case.write(world, waiting)
    assert not case.happened(world)
