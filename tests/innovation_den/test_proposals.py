"""Proposing a trial: who may, the hypothesis's shape, the sandbox, sponsors and partners."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from accounts.models import OutboundEmail
from core.errors import DomainError
from innovation_den import permissions, services
from innovation_den.models import Proposal, ProposalPartner
from tests import factories
from tests.innovation_den.factories import HYPOTHESIS, build, draft

Status = Proposal.Status


def _fields(body, **overrides) -> dict:
    return {
        "title": "Smart bins",
        "problem": "Bins overflow at weekends.",
        "public_body": body,
        "hypothesis": HYPOTHESIS,
        "weeks": 6,
        "budget_cap": "25000",
        "data_allowed": ["open"],
        **overrides,
    }


def test_who_may_propose(db, owner, member, other_owner, civil_servant, moderator, anonymous):
    body = factories.PublicBodyFactory()
    # A civil servant proposes for the body they act for, not another's.
    with pytest.raises(DomainError, match="your own public body"):
        services.proposal_create(actor=civil_servant, **_fields(body))
    services.proposal_create(actor=civil_servant, **_fields(civil_servant.public_body))
    for actor in (anonymous, moderator, factories.UserFactory()):
        with pytest.raises(PermissionDenied, match="Only civil servants and members"):
            services.proposal_create(actor=actor, **_fields(body))
    # Supplier members (owner or not) propose, but only with a named civil-servant sponsor
    # of the public body the trial is for.
    body = civil_servant.public_body
    for actor in (owner, member, other_owner):
        with pytest.raises(DomainError, match="civil servant sponsoring"):
            services.proposal_create(actor=actor, **_fields(body))
        proposal = services.proposal_create(
            actor=actor, **_fields(body), sponsor_email=civil_servant.email
        )
        assert proposal.sponsor == civil_servant and proposal.sponsor_confirmed_at is None
    assert OutboundEmail.objects.filter(to=civil_servant.email).count() == 3


def test_the_sponsor_must_be_a_civil_servant_and_confirm(db, owner, other_owner, civil_servant):
    body = civil_servant.public_body
    with pytest.raises(DomainError, match="must be a civil servant"):
        services.proposal_create(actor=owner, **_fields(body), sponsor_email=other_owner.email)
    proposal = services.proposal_create(
        actor=owner, **_fields(body), sponsor_email=civil_servant.email
    )
    colleague = factories.CivilServantFactory(public_body=body)  # same body, not named
    for actor in (owner, other_owner, factories.CivilServantFactory(), colleague):
        with pytest.raises(PermissionDenied, match="Only the civil servant named as sponsor"):
            services.sponsorship_confirm(actor=actor, proposal=proposal)
    services.sponsorship_confirm(actor=civil_servant, proposal=proposal)
    assert proposal.sponsor_confirmed_at is not None
    assert permissions.is_proposer(civil_servant, proposal)


def test_the_sponsor_acts_for_the_trials_public_body(db, owner, civil_servant):
    """Naming a civil servant of another body is refused; the trial never moves body."""
    other_body = factories.PublicBodyFactory()
    before = Proposal.objects.count()
    with pytest.raises(DomainError, match=f"civil servant of {other_body.name}") as refused:
        services.proposal_create(
            actor=owner, **_fields(other_body), sponsor_email=civil_servant.email
        )
    assert "sponsor_email" in refused.value.message_dict
    assert Proposal.objects.count() == before
    # A civil servant waiting for a moderator's approval acts for no body yet.
    waiting = factories.CivilServantFactory(public_body=None)
    with pytest.raises(DomainError, match="does not act for it"):
        services.proposal_create(actor=owner, **_fields(other_body), sponsor_email=waiting.email)
    # Moving the trial to another body keeps a sponsor who does not act for it: refused.
    proposal = services.proposal_create(
        actor=owner, **_fields(civil_servant.public_body), sponsor_email=civil_servant.email
    )
    with pytest.raises(DomainError, match="does not act for it"):
        services.proposal_update(
            actor=owner, proposal=proposal, **_fields(other_body), sponsor_email=civil_servant.email
        )
    proposal.refresh_from_db()
    assert proposal.public_body == civil_servant.public_body
    # Naming a sponsor of the new body along with it is fine; they confirm afresh.
    new_sponsor = factories.CivilServantFactory(public_body=other_body)
    services.proposal_update(
        actor=owner, proposal=proposal, **_fields(other_body), sponsor_email=new_sponsor.email
    )
    assert (proposal.public_body, proposal.sponsor) == (other_body, new_sponsor)
    assert proposal.sponsor_confirmed_at is None


def test_a_sponsor_who_moves_body_no_longer_acts_for_the_trial(db, owner, civil_servant):
    """Named, then moved to another body: they cannot confirm, and a confirmed one loses it."""
    body = civil_servant.public_body
    proposal = draft(proposer=owner, public_body=body, sponsor_email=civil_servant.email)
    civil_servant.public_body = factories.PublicBodyFactory()
    civil_servant.save()
    with pytest.raises(PermissionDenied, match=f"acting for {body.name}"):
        services.sponsorship_confirm(actor=civil_servant, proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).sponsor_confirmed_at is None
    # Back at the body, they confirm; moved again, they are no longer a proposer.
    civil_servant.public_body = body
    civil_servant.save()
    services.sponsorship_confirm(actor=civil_servant, proposal=proposal)
    assert permissions.is_proposer(civil_servant, proposal)
    civil_servant.public_body = None
    civil_servant.save()
    assert not permissions.is_proposer(civil_servant, proposal)
    with pytest.raises(PermissionDenied):
        services.proposal_submit(actor=civil_servant, proposal=proposal)
    with pytest.raises(DomainError, match=f"no longer acts for {body.name}"):
        services.proposal_submit(actor=owner, proposal=proposal)
    assert Proposal.objects.get(pk=proposal.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    "hypothesis",
    [
        "Route planning will help.",
        "We believe route planning will help.",  # no measure
        "We believe route planning measured by minutes.",  # no effect
        "We believe will cut driving measured by minutes.",  # no change
        "",
    ],
)
def test_the_hypothesis_must_read_we_believe_will_measured_by(db, civil_servant, hypothesis):
    with pytest.raises(DomainError) as error:
        services.proposal_create(
            actor=civil_servant, **_fields(civil_servant.public_body, hypothesis=hypothesis)
        )
    assert "We believe [this change] will [have this effect] measured by" in str(
        error.value.message_dict["hypothesis"]
    )


def test_a_well_formed_hypothesis_is_accepted_in_any_case(db, civil_servant):
    proposal = services.proposal_create(
        actor=civil_servant,
        **_fields(
            civil_servant.public_body,
            hypothesis="we believe open data\nWILL cut repairs MEASURED BY repair counts",
        ),
    )
    assert proposal.hypothesis.startswith("we believe")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["personal"], "Personal data is never allowed"),
        (["open", "personal data"], "Personal data is never allowed"),
        (["secret"], "synthetic, open or anonymised"),
        ([], "Choose which data"),
    ],
)
def test_the_sandbox_never_holds_personal_data(db, civil_servant, data, message):
    with pytest.raises(DomainError, match=message):
        services.proposal_create(
            actor=civil_servant, **_fields(civil_servant.public_body, data_allowed=data)
        )


def test_the_database_refuses_personal_data_too(db):
    proposal = draft()
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(data_allowed=["open", "personal"])


@pytest.mark.parametrize(
    ("weeks", "budget", "field"),
    [(0, 100, "weeks"), (53, 100, "weeks"), ("six", 100, "weeks"), (4, -1, "budget_cap")],
)
def test_the_sandbox_is_bounded_in_time_and_money(db, civil_servant, weeks, budget, field):
    with pytest.raises(DomainError) as error:
        services.proposal_create(
            actor=civil_servant,
            **_fields(civil_servant.public_body, weeks=weeks, budget_cap=budget),
        )
    assert field in error.value.message_dict


def test_success_criteria_need_a_measure_and_a_checkable_target(db):
    proposal = draft()
    with pytest.raises(DomainError) as error:
        services.success_criterion_add(
            actor=proposal.proposer, proposal=proposal, description="x", measure="", target=""
        )
    assert set(error.value.message_dict) == {"measure", "target"}
    with pytest.raises(DomainError, match="target that can be checked"):
        services.success_criterion_add(
            actor=proposal.proposer,
            proposal=proposal,
            description="Happier users",
            measure="Survey",
            target="better",
        )


def test_risks_need_a_mitigation(db):
    proposal = draft()
    with pytest.raises(DomainError) as error:
        services.risk_add(
            actor=proposal.proposer, proposal=proposal, description="Data leak", mitigation=" "
        )
    assert set(error.value.message_dict) == {"mitigation"}


def test_only_proposers_change_a_draft(db, owner, other_owner, civil_servant, anonymous):
    proposal = draft()
    for actor in (owner, other_owner, civil_servant, anonymous):
        with pytest.raises(PermissionDenied):
            services.stop_criterion_add(actor=actor, proposal=proposal, description="Stop")
        with pytest.raises(PermissionDenied):
            services.proposal_update(
                actor=actor,
                proposal=proposal,
                **_fields(proposal.public_body, title="Hijacked"),
            )
    proposal.refresh_from_db()
    assert proposal.title == "Route planning for nurses"


def test_moderators_correct_a_draft_under_the_same_rules(db, moderator):
    # The admin's path: moderators correct content, bound by the proposers' rules and locks.
    proposal = draft()
    services.proposal_update(
        actor=moderator, proposal=proposal, **_fields(proposal.public_body, title="Corrected")
    )
    proposal.refresh_from_db()
    assert proposal.title == "Corrected"
    with pytest.raises(DomainError):
        services.proposal_update(
            actor=moderator,
            proposal=proposal,
            **_fields(proposal.public_body, hypothesis="Not a hypothesis"),
        )


def test_a_proposal_under_review_cannot_change(db):
    cast = build(Status.SUBMITTED, with_partner=False)
    with pytest.raises(DomainError, match="being reviewed"):
        services.risk_add(
            actor=cast.proposer, proposal=cast.proposal, description="r", mitigation="m"
        )


# --- Partners --------------------------------------------------------------------------------


def test_only_the_partner_suppliers_owner_confirms(
    db, supplier, owner, member, other_owner, civil_servant, moderator, anonymous
):
    proposal = draft()
    partner = services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    assert partner.status == ProposalPartner.Status.PENDING
    assert OutboundEmail.objects.filter(to=owner.email, subject__contains="confirm").exists()
    assert not OutboundEmail.objects.filter(to=member.email).exists()
    for actor in (member, other_owner, civil_servant, moderator, anonymous, proposal.proposer):
        with pytest.raises(PermissionDenied, match=f"Only an owner of {supplier.name}"):
            services.partner_answer(actor=actor, partner=partner, confirm=True)
    services.partner_answer(actor=owner, partner=partner, confirm=True)
    partner.refresh_from_db()
    assert (partner.status, partner.answered_by) == (ProposalPartner.Status.CONFIRMED, owner)
    with pytest.raises(DomainError, match="already answered"):
        services.partner_answer(actor=owner, partner=partner, confirm=False)


def test_a_declined_partner_must_be_removed_before_submitting(db, supplier, owner):
    proposal = draft()
    partner = services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    services.partner_answer(actor=owner, partner=partner, confirm=False)
    with pytest.raises(DomainError, match="declined to take part: remove it"):
        services.proposal_submit(actor=proposal.proposer, proposal=proposal)
    services.partner_remove(actor=proposal.proposer, partner=partner)
    services.proposal_submit(actor=proposal.proposer, proposal=proposal)


def test_partners_come_from_the_published_registry_once_each(db, supplier):
    proposal = draft()
    services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    with pytest.raises(DomainError, match="already a partner"):
        services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    hidden = factories.SupplierFactory(status="draft")
    with pytest.raises(DomainError, match="published on the registry"):
        services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=hidden)


def test_an_owner_proposing_with_their_own_supplier_confirms_at_once(db, supplier, owner):
    sponsor = factories.CivilServantFactory()
    proposal = services.proposal_create(
        actor=owner, **_fields(sponsor.public_body), sponsor_email=sponsor.email
    )
    partner = services.partner_add(actor=owner, proposal=proposal, supplier=supplier)
    assert partner.status == ProposalPartner.Status.CONFIRMED


# --- Who sees what ----------------------------------------------------------------------------


def test_drafts_are_seen_only_by_the_people_involved(
    db, supplier, owner, member, other_owner, civil_servant, moderator, anonymous
):
    proposal = draft()
    services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    for person in (proposal.proposer, owner, member, moderator):
        assert permissions.can_view(person, proposal)
    for person in (other_owner, civil_servant, anonymous):
        assert not permissions.can_view(person, proposal)


def test_public_trials_are_seen_by_everyone(db, anonymous, other_owner):
    cast = build(Status.ACCEPTED, with_partner=False)
    assert permissions.can_view(anonymous, cast.proposal)
    assert permissions.can_view(other_owner, cast.proposal)
