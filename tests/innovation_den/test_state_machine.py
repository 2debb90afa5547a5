"""The lifecycle as a state machine: every allowed step for the right role, nothing else."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundEmail
from core.errors import DomainError
from innovation_den import services
from innovation_den.models import Proposal, Transition
from tests import factories
from tests.innovation_den.factories import ReviewRoundFactory, build, scores

Status = Proposal.Status
ALL = [status.value for status in Status]


def step_data(to: str, cast) -> dict:
    """The arguments each step's service needs besides actor and proposal."""
    if to == Status.IN_REVIEW:
        review_round = ReviewRoundFactory(opened_by=cast.moderator)
        for _ in range(2):
            person = factories.CivilServantFactory()
            services.panel_member_add(
                actor=cast.moderator, review_round=review_round, reviewer_email=person.email
            )
        return {"review_round": review_round}
    if to in (Status.ACCEPTED, Status.DECLINED):
        return {"reason": "Because the panel said so."}
    if to == Status.EVALUATED:
        return {
            "results": {c.pk: ("Met it.", True) for c in cast.proposal.success_criteria.all()},
            "lessons_learned": "It worked because nurses trusted the routes.",
            "next_steps": "Roll it out.",
        }
    if to == Status.GRADUATED:
        return {"graduation_url": "https://example.gov.uk/procurement/12"}
    return {}


def test_the_machine_is_the_one_in_the_issue():
    assert set(services.TRANSITIONS) == {
        (Status.DRAFT, Status.SUBMITTED),
        (Status.SUBMITTED, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.ACCEPTED),
        (Status.IN_REVIEW, Status.DECLINED),
        (Status.ACCEPTED, Status.RUNNING),
        (Status.RUNNING, Status.EVALUATED),
        (Status.EVALUATED, Status.GRADUATED),
        (Status.EVALUATED, Status.CLOSED),
    }


@pytest.mark.parametrize("from_status", ALL)
def test_every_other_transition_is_refused_with_a_clear_message(db, from_status):
    cast = build(from_status)
    for to in ALL:
        if (from_status, to) in services.TRANSITIONS:
            continue
        # Even a moderator (who may take most steps) is refused a step not in the machine.
        for actor in (cast.moderator, cast.proposer):
            with pytest.raises(DomainError) as error:
                services.proposal_transition(
                    actor=actor, proposal=cast.proposal, to=to, **step_data(to, cast)
                )
            message = " ".join(error.value.messages)
            from_label = Status(from_status).label.lower()
            if from_status == to:
                assert message == f"The proposal is already {from_label}."
            else:
                assert message.startswith(
                    f"A proposal that is {from_label} cannot become {Status(to).label.lower()}."
                )
                assert "final state" in message or "it can only become" in message
        cast.proposal.refresh_from_db()
        assert cast.proposal.status == from_status
    assert not Transition.objects.filter(proposal=cast.proposal, from_status=from_status).exists()


def test_an_unknown_state_is_refused(db):
    cast = build(Status.DRAFT, with_partner=False)
    with pytest.raises(DomainError, match="cannot become"):
        services.proposal_transition(actor=cast.proposer, proposal=cast.proposal, to="published")


# (from, to, who may take it) — "proposer" steps are also open to moderators.
EDGES = [
    (Status.DRAFT, Status.SUBMITTED, "proposer"),
    (Status.SUBMITTED, Status.IN_REVIEW, "moderator"),
    (Status.IN_REVIEW, Status.ACCEPTED, "moderator"),
    (Status.IN_REVIEW, Status.DECLINED, "moderator"),
    (Status.ACCEPTED, Status.RUNNING, "proposer"),
    (Status.ACCEPTED, Status.RUNNING, "moderator"),
    (Status.RUNNING, Status.EVALUATED, "proposer"),
    (Status.EVALUATED, Status.GRADUATED, "proposer"),
    (Status.EVALUATED, Status.CLOSED, "proposer"),
    (Status.EVALUATED, Status.CLOSED, "moderator"),
]


@pytest.mark.parametrize(("from_status", "to", "role"), EDGES)
def test_each_allowed_transition_works_for_the_right_role_only(
    db, from_status, to, role, other_owner, civil_servant
):
    cast = build(from_status)
    if from_status == Status.IN_REVIEW:
        for person in cast.panel:
            services.review_submit(actor=person, proposal=cast.proposal, scores=scores())
    data = step_data(to, cast)
    refused = [AnonymousUser(), other_owner, civil_servant, cast.partner_owner, cast.partner_member]
    refused += cast.panel
    if role == "moderator" and (from_status, to) in (
        (Status.SUBMITTED, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.ACCEPTED),
        (Status.IN_REVIEW, Status.DECLINED),
    ):
        refused.append(cast.proposer)
    if to == Status.SUBMITTED:
        refused.append(cast.moderator)  # only the proposers submit their own proposal
    edge = services.TRANSITIONS[(from_status, to)]
    for actor in refused:
        with pytest.raises(PermissionDenied) as error:
            services.proposal_transition(actor=actor, proposal=cast.proposal, to=to, **data)
        assert str(error.value) == f"Only {edge.who} can {edge.verb} this proposal."
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == from_status

    actor = cast.moderator if role == "moderator" else cast.proposer
    before = timezone.now()
    services.proposal_transition(actor=actor, proposal=cast.proposal, to=to, **data)
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == to
    step = Transition.objects.filter(proposal=cast.proposal).latest("at", "pk")
    assert (step.from_status, step.to_status, step.by) == (from_status, to, actor)
    assert before <= step.at <= timezone.now()
    assert cast.proposal.history.first().history_change_reason.startswith(f"{from_status} → {to}")


def test_a_confirmed_sponsor_is_a_proposer_and_may_submit(db, moderator):
    member = factories.MembershipFactory(role="member").user
    sponsor = factories.CivilServantFactory()
    proposal = services.proposal_create(
        actor=member,
        title="Supplier idea",
        problem="A problem.",
        public_body=sponsor.public_body,
        hypothesis="We believe X will Y measured by Z.",
        weeks=4,
        budget_cap=1000,
        data_allowed=["open"],
        sponsor_email=sponsor.email,
    )
    services.success_criterion_add(
        actor=member, proposal=proposal, description="d", measure="m", target="10 users"
    )
    services.stop_criterion_add(actor=member, proposal=proposal, description="s")
    services.risk_add(actor=member, proposal=proposal, description="r", mitigation="m")
    with pytest.raises(PermissionDenied):  # named, but not yet confirmed
        services.proposal_submit(actor=sponsor, proposal=proposal)
    with pytest.raises(DomainError, match="has not yet confirmed sponsoring"):
        services.proposal_submit(actor=member, proposal=proposal)
    services.sponsorship_confirm(actor=sponsor, proposal=proposal)
    services.proposal_submit(actor=sponsor, proposal=proposal)
    assert proposal.status == Status.SUBMITTED


def test_submitting_an_incomplete_draft_lists_every_problem(db, civil_servant):
    proposal = services.proposal_create(
        actor=civil_servant,
        title="Thin",
        problem="A problem.",
        public_body=civil_servant.public_body,
        hypothesis="We believe X will Y measured by Z.",
        weeks=4,
        budget_cap=1000,
        data_allowed=["open"],
    )
    with pytest.raises(DomainError) as error:
        services.proposal_submit(actor=civil_servant, proposal=proposal)
    assert error.value.messages == [
        "Add at least one success criterion with a target.",
        "Add at least one stop criterion.",
        "Add at least one risk with its mitigation.",
    ]
    proposal.refresh_from_db()
    assert proposal.status == Status.DRAFT


def test_a_partner_that_has_not_confirmed_blocks_submission(db):
    cast = build(Status.DRAFT, with_partner=False)
    supplier = factories.SupplierFactory(name="Acme Routing")
    services.partner_add(actor=cast.proposer, proposal=cast.proposal, supplier=supplier)
    with pytest.raises(DomainError, match="Acme Routing has not yet confirmed taking part"):
        services.proposal_submit(actor=cast.proposer, proposal=cast.proposal)


def test_decision_needs_a_reason_and_is_sent_to_the_proposers(db):
    cast = build(Status.IN_REVIEW)
    for person in cast.panel:
        services.review_submit(actor=person, proposal=cast.proposal, scores=scores())
    with pytest.raises(DomainError, match="Enter the reason"):
        services.proposal_decide(
            actor=cast.moderator, proposal=cast.proposal, accept=False, reason="  "
        )
    with transaction.atomic():
        services.proposal_decide(
            actor=cast.moderator,
            proposal=cast.proposal,
            accept=False,
            reason="An existing framework service already does this.",
        )
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.DECLINED
    assert cast.proposal.decision_reason == "An existing framework service already does this."
    assert cast.proposal.decided_by == cast.moderator
    email = OutboundEmail.objects.get(to=cast.proposer.email, subject__contains="declined")
    assert "An existing framework service already does this." in email.body
    step = cast.proposal.transitions.get(to_status=Status.DECLINED)
    assert step.reason == "An existing framework service already does this."


def test_decision_waits_for_every_panel_member_without_a_conflict(db):
    cast = build(Status.IN_REVIEW)
    services.review_submit(actor=cast.panel[0], proposal=cast.proposal, scores=scores())
    with pytest.raises(DomainError, match=f"waiting for {cast.panel[1]}"):
        services.proposal_decide(
            actor=cast.moderator, proposal=cast.proposal, accept=True, reason="Good."
        )


def test_hypothesis_and_criteria_lock_once_running(db):
    cast = build(Status.RUNNING)
    proposal, proposer = cast.proposal, cast.proposer
    locked = "the trial is running: its hypothesis, success and stop criteria are locked"
    with pytest.raises(DomainError, match=locked):
        services.success_criterion_add(
            actor=proposer, proposal=proposal, description="d", measure="m", target="5 users"
        )
    with pytest.raises(DomainError, match=locked):
        services.stop_criterion_add(actor=proposer, proposal=proposal, description="new stop")
    with pytest.raises(DomainError, match=locked):
        services.success_criterion_remove(
            actor=proposer, criterion=proposal.success_criteria.first()
        )
    with pytest.raises(DomainError, match=locked):
        services.proposal_update(
            actor=proposer,
            proposal=proposal,
            title=proposal.title,
            problem=proposal.problem,
            public_body=proposal.public_body,
            hypothesis="We believe something else will happen measured by anything.",
            weeks=proposal.weeks,
            budget_cap=proposal.budget_cap,
            data_allowed=proposal.data_allowed,
        )
    proposal.refresh_from_db()
    assert proposal.hypothesis.startswith("We believe a route planner")
    # Risks may still be added as they emerge.
    services.risk_add(actor=proposer, proposal=proposal, description="New", mitigation="Watch")


def test_the_criteria_can_still_change_once_accepted(db):
    cast = build(Status.ACCEPTED)
    services.success_criterion_add(
        actor=cast.proposer,
        proposal=cast.proposal,
        description="Fewer late visits",
        measure="Visit logs",
        target="Under 2%",
    )
    assert cast.proposal.success_criteria.count() == 2


def test_running_sets_the_end_date_and_overdue_after_it(db):
    cast = build(Status.RUNNING)
    proposal = cast.proposal
    assert proposal.start_date == timezone.localdate()
    assert proposal.end_date == proposal.start_date + datetime.timedelta(weeks=proposal.weeks)
    assert not proposal.is_overdue
    proposal.end_date = timezone.localdate() - datetime.timedelta(days=1)
    assert proposal.is_overdue


@pytest.mark.parametrize(
    ("met", "outcome"),
    [([True, True], "met"), ([True, False], "partly_met"), ([False, False], "not_met")],
)
def test_the_outcome_follows_from_the_criteria(db, met, outcome):
    cast = build(Status.ACCEPTED)
    services.success_criterion_add(
        actor=cast.proposer,
        proposal=cast.proposal,
        description="Fewer late visits",
        measure="Visit logs",
        target="Under 2%",
    )
    services.proposal_start(actor=cast.proposer, proposal=cast.proposal)
    criteria = list(cast.proposal.success_criteria.order_by("pk"))
    services.proposal_evaluate(
        actor=cast.proposer,
        proposal=cast.proposal,
        results={c.pk: (f"Result {c.pk}", m) for c, m in zip(criteria, met, strict=True)},
        lessons_learned="What we learned.",
        next_steps="Next.",
    )
    cast.proposal.refresh_from_db()
    assert cast.proposal.outcome == outcome
    assert [c.met for c in cast.proposal.success_criteria.order_by("pk")] == met


def test_evaluation_needs_every_result_and_the_lessons(db):
    cast = build(Status.RUNNING)
    criterion = cast.proposal.success_criteria.get()
    with pytest.raises(DomainError) as error:
        services.proposal_evaluate(
            actor=cast.proposer,
            proposal=cast.proposal,
            results={},
            lessons_learned=" ",
            next_steps="",
        )
    assert set(error.value.message_dict) == {
        f"result_{criterion.pk}",
        f"met_{criterion.pk}",
        "lessons_learned",
        "next_steps",
    }
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.RUNNING


def test_a_trial_cannot_close_without_lessons(db):
    cast = build(Status.EVALUATED)
    # The database itself refuses an evaluated (or closed) trial without lessons…
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=cast.proposal.pk).update(lessons_learned="")
    # …and so does the service, if lessons were somehow blanked in memory.
    cast.proposal.lessons_learned = ""
    with pytest.raises(DomainError, match="cannot close without its lessons"):
        services._check_lessons(cast.proposal)
    services.proposal_close(actor=cast.proposer, proposal=cast.proposal)
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.CLOSED


def test_graduation_links_to_what_followed(db):
    cast = build(Status.EVALUATED)
    with pytest.raises(DomainError, match="Link the trial to what followed"):
        services.proposal_graduate(actor=cast.proposer, proposal=cast.proposal)
    with pytest.raises(DomainError):
        services.proposal_graduate(
            actor=cast.proposer, proposal=cast.proposal, graduation_url="javascript:alert(1)"
        )
    services.proposal_graduate(
        actor=cast.proposer,
        proposal=cast.proposal,
        graduation_url="https://www.find-tender.service.gov.uk/Notice/1",
    )
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.GRADUATED
    assert cast.proposal.graduation_url == "https://www.find-tender.service.gov.uk/Notice/1"


def test_graduation_links_to_an_engagement_request_or_a_contract(db, client):
    from tests.engagement.factories import EngagementRequestFactory
    from tests.reporting.factories import ContractFactory

    cast = build(Status.EVALUATED, with_partner=False)
    draft_request = EngagementRequestFactory()  # still a draft
    with pytest.raises(DomainError, match="still a draft"):
        services.proposal_graduate(
            actor=cast.proposer, proposal=cast.proposal, engagement_request=draft_request
        )
    request = EngagementRequestFactory(status="open")
    contract = ContractFactory(ocid="ocds-test01-77777")
    client.force_login(cast.proposer)
    graduate = reverse("innovation_den:graduate", args=[cast.proposal.pk])
    response = client.post(graduate, {"engagement_request": "999999", "contract_ocid": "nope"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is no engagement request with that number." in body
    assert "There is no contract with that open contracting id." in body
    response = client.post(
        graduate, {"engagement_request": str(request.pk), "contract_ocid": "OCDS-TEST01-77777"}
    )
    assert response.status_code == 302
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.GRADUATED
    assert (cast.proposal.engagement_request, cast.proposal.contract) == (request, contract)
    page = client.get(reverse("innovation_den:proposal", args=[cast.proposal.pk]))
    assert f'href="/engagement/{request.pk}/"' in page.content.decode()
    api = client.get(f"/api/v1/den/proposals/{cast.proposal.pk}/").json()
    assert api["graduation"]["engagement_request"] == request.pk
    assert api["graduation"]["contract_ocid"] == "ocds-test01-77777"
