"""The den's pages: who sees what, forms with clear errors, and fixed query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from innovation_den import services
from innovation_den.models import Proposal, ProposalPartner, Review, ReviewRound
from tests import factories
from tests.innovation_den.factories import (
    HYPOTHESIS,
    ReviewRoundFactory,
    build,
    draft,
    make_overdue,
)

Status = Proposal.Status


def url(name: str, *args) -> str:
    return reverse(f"innovation_den:{name}", args=args)


def test_home_and_lessons_are_public(db, client):
    for name in ("home", "lessons", "proposals"):
        response = client.get(url(name))
        assert response.status_code == 200, name
    assert "Propose a trial" not in client.get(url("home")).content.decode()


def test_home_invites_civil_servants_to_propose(db, client, civil_servant):
    client.force_login(civil_servant)
    assert "Propose a trial" in client.get(url("home")).content.decode()


def test_proposing_through_the_form(db, client, civil_servant):
    capability = factories.CapabilityFactory()
    client.force_login(civil_servant)
    assert client.get(url("propose")).status_code == 200
    response = client.post(
        url("propose"),
        {
            "title": "Smart bins",
            "problem": "Bins overflow.",
            "public_body": civil_servant.public_body_id,
            "hypothesis": HYPOTHESIS,
            "weeks": "6",
            "budget_cap": "25000",
            "data_allowed": ["open", "synthetic"],
            "no_personal_data": "on",
            "capabilities": [capability.code],
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("proposal", proposal.pk)
    assert proposal.data_allowed == ["synthetic", "open"]
    assert list(proposal.capabilities.all()) == [capability]


def test_bad_input_gets_clear_messages_not_a_500(db, client, civil_servant):
    client.force_login(civil_servant)
    response = client.post(
        url("propose"),
        {
            "title": "",
            "problem": "Bins overflow.",
            "public_body": "999999",
            "hypothesis": "Smart bins will be great.",
            "weeks": "lots",
            "budget_cap": "-5",
            "data_allowed": ["personal"],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body  # the GOV.UK error summary
    assert "<title>Error: " in body
    for message in (
        "Enter a title.",
        "Enter the length as a whole number of weeks.",
        "The budget cap cannot be negative.",
        "Confirm the trial will not use personal data.",
        "Select a valid choice.",
    ):
        assert message in body, message
    assert not Proposal.objects.exists()


def test_the_hypothesis_shape_error_is_shown_beside_the_field(db, client, civil_servant):
    client.force_login(civil_servant)
    response = client.post(
        url("propose"),
        {
            "title": "Smart bins",
            "problem": "Bins overflow.",
            "public_body": civil_servant.public_body_id,
            "hypothesis": "Smart bins will be great.",
            "weeks": "6",
            "budget_cap": "100",
            "data_allowed": ["open"],
            "no_personal_data": "on",
        },
    )
    assert response.status_code == 400
    assert "Write it as “We believe [this change]" in response.content.decode()
    assert 'href="#id_hypothesis"' in response.content.decode()


def test_supplier_members_are_asked_for_a_sponsor(db, client, owner):
    client.force_login(owner)
    page = client.get(url("propose")).content.decode()
    assert "civil-servant sponsor" in page


def test_a_draft_is_private(db, client, other_owner):
    proposal = draft()
    response = client.get(url("proposal", proposal.pk))
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    client.force_login(other_owner)
    assert client.get(url("proposal", proposal.pk)).status_code == 404
    client.force_login(proposal.proposer)
    assert client.get(url("proposal", proposal.pk)).status_code == 200


def test_submitting_an_incomplete_draft_explains_why(db, client, civil_servant):
    proposal = services.proposal_create(
        actor=civil_servant,
        title="Thin",
        problem="A problem.",
        public_body=civil_servant.public_body,
        hypothesis=HYPOTHESIS,
        weeks=4,
        budget_cap=1000,
        data_allowed=["open"],
    )
    client.force_login(civil_servant)
    response = client.post(url("submit", proposal.pk))
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Add at least one stop criterion." in body


def test_strangers_cannot_post_steps(db, client, other_owner):
    cast = build(Status.ACCEPTED, with_partner=False)
    client.force_login(other_owner)
    assert client.post(url("start", cast.proposal.pk)).status_code == 403
    assert client.get(url("decide", cast.proposal.pk)).status_code == 403
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.ACCEPTED


def test_the_partner_owner_confirms_on_the_page(db, client, supplier, owner, member):
    proposal = draft()
    partner = services.partner_add(actor=proposal.proposer, proposal=proposal, supplier=supplier)
    client.force_login(member)
    assert "Confirm taking part" not in client.get(url("proposal", proposal.pk)).content.decode()
    assert (
        client.post(
            url("partner_answer", proposal.pk, partner.pk), {"answer": "confirm"}
        ).status_code
        == 403
    )
    client.force_login(owner)
    assert "Confirm taking part" in client.get(url("proposal", proposal.pk)).content.decode()
    response = client.post(url("partner_answer", proposal.pk, partner.pk), {"answer": "confirm"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.status == ProposalPartner.Status.CONFIRMED


def test_partner_search_and_add(db, client):
    proposal = draft()
    supplier = factories.SupplierFactory(name="Kestrel Routing Ltd")
    factories.SupplierFactory(name="Kestrel Hidden Ltd", status="draft")
    client.force_login(proposal.proposer)
    page = client.get(url("partner_add", proposal.pk), {"q": "kestrel"}).content.decode()
    assert "Kestrel Routing Ltd" in page and "Kestrel Hidden Ltd" not in page
    response = client.post(url("partner_add", proposal.pk), {"supplier": "not-a-number"})
    assert response.status_code == 400
    response = client.post(url("partner_add", proposal.pk), {"supplier": supplier.pk})
    assert response.status_code == 302
    assert proposal.partners.get().supplier == supplier


def test_removing_an_unknown_kind_is_a_404(db, client):
    proposal = draft()
    client.force_login(proposal.proposer)
    assert client.post(url("item_remove", proposal.pk, "things", 1)).status_code == 404


def test_scoring_and_deciding_through_the_pages(db, client):
    cast = build(Status.IN_REVIEW)
    form = {}
    for code in ("public_value", "feasibility", "innovation", "safety"):
        form[code] = "4"
        form[f"{code}_comment"] = "Fine."
    for person in cast.panel:
        client.force_login(person)
        assert client.get(url("review", cast.proposal.pk)).status_code == 200
        assert client.post(url("review", cast.proposal.pk), form).status_code == 302
    assert Review.objects.count() == 2
    client.force_login(cast.moderator)
    response = client.post(url("decide", cast.proposal.pk), {"decision": "accept", "reason": ""})
    assert response.status_code == 400
    assert "Enter the reason for the decision." in response.content.decode()
    response = client.post(
        url("decide", cast.proposal.pk), {"decision": "accept", "reason": "Strong case."}
    )
    assert response.status_code == 302
    cast.proposal.refresh_from_db()
    assert cast.proposal.status == Status.ACCEPTED


def test_a_conflicted_panel_member_is_refused_the_scoring_page(db, client):
    cast = build(Status.IN_REVIEW)
    factories.MembershipFactory(supplier=cast.proposal.partners.get().supplier, user=cast.panel[0])
    client.force_login(cast.panel[0])
    assert client.get(url("review", cast.proposal.pk)).status_code == 403


def test_running_page_shows_limits_stop_criteria_and_overdue(db, client):
    cast = build(Status.RUNNING, with_partner=False)
    page = client.get(url("proposal", cast.proposal.pk)).content.decode()
    assert "Stop the trial at once if: A time-critical visit is missed." in page
    assert "8 weeks" in page and "£40,000" in page and "Synthetic data, Anonymised data" in page
    assert "Overdue for evaluation" not in page
    make_overdue(cast.proposal)
    page = client.get(url("proposal", cast.proposal.pk)).content.decode()
    assert "Overdue for evaluation" in page


def test_progress_notes_and_evaluation_through_the_pages(db, client):
    cast = build(Status.RUNNING)
    client.force_login(cast.partner_member)  # a confirmed partner's member writes notes…
    response = client.post(url("progress_add", cast.proposal.pk), {"body": "Week 1 went well."})
    assert response.status_code == 302
    assert client.get(url("evaluate", cast.proposal.pk)).status_code == 403  # …but not evaluates
    client.force_login(cast.proposer)
    criterion = cast.proposal.success_criteria.get()
    response = client.post(
        url("evaluate", cast.proposal.pk),
        {f"result_{criterion.pk}": "Driving fell 5%.", f"met_{criterion.pk}": "no"},
    )
    assert response.status_code == 400
    assert "Enter what was learned" in response.content.decode()
    response = client.post(
        url("evaluate", cast.proposal.pk),
        {
            f"result_{criterion.pk}": "Driving fell 5%.",
            f"met_{criterion.pk}": "no",
            "lessons_learned": "Nurses ignored routes that broke their patients' routines.",
            "next_steps": "Co-design routes with nurses.",
        },
    )
    assert response.status_code == 302
    cast.proposal.refresh_from_db()
    assert (cast.proposal.status, cast.proposal.outcome) == (Status.EVALUATED, "not_met")
    page = client.get(url("proposal", cast.proposal.pk)).content.decode()
    assert "Week 1 went well." in page and "Outcome: Not met" in page


def test_rounds_pages_are_for_moderators(db, client, civil_servant, moderator):
    client.force_login(civil_servant)
    assert client.get(url("rounds")).status_code == 403
    client.force_login(moderator)
    response = client.post(url("rounds"), {"name": "Autumn"})
    assert response.status_code == 302
    review_round = ReviewRound.objects.get(name="Autumn")
    response = client.post(url("round", review_round.pk), {"reviewer_email": "not an email"})
    assert response.status_code == 400
    response = client.post(url("round", review_round.pk), {"reviewer_email": civil_servant.email})
    assert response.status_code == 302
    assert list(review_round.panel.all()) == [civil_servant]


def test_malformed_query_strings_are_ignored(db, client):
    build(Status.EVALUATED, with_partner=False)
    for query in (
        {"outcome": "maybe"},
        {"capability": "no-such-capability"},
        {"public_body": "\x00"},
        {"page": "-3"},
        {"page": "x"},
        {"q": "a" * 5000},
        {"q": "\"unbalanced 'quotes & | !"},
    ):
        assert client.get(url("lessons"), query).status_code == 200, query
        assert client.get(url("proposals"), query | {"status": "nope"}).status_code == 200


@pytest.mark.parametrize("name", ["lessons", "proposals", "home"])
def test_lists_run_a_fixed_number_of_queries(db, client, django_assert_max_num_queries, name):
    review_round = ReviewRoundFactory()
    moderator = review_round.opened_by
    capability = factories.CapabilityFactory()

    def make(count: int) -> None:
        for _ in range(count):
            cast = build(Status.EVALUATED, moderator=moderator)
            cast.proposal.capabilities.add(capability)

    make(1)
    with django_assert_max_num_queries(12) as first:
        client.get(url(name))
    make(3)
    with django_assert_max_num_queries(12) as more:
        assert client.get(url(name)).status_code == 200
    assert len(more.captured_queries) == len(first.captured_queries)


def test_changing_a_draft_and_the_lock_once_running(db, client):
    proposal = draft()
    client.force_login(proposal.proposer)
    edit = url("edit", proposal.pk)
    page = client.get(edit).content.decode()
    assert "Route planning for nurses" in page
    form = {
        "title": "Route planning for district nurses",
        "problem": proposal.problem,
        "public_body": proposal.public_body_id,
        "hypothesis": proposal.hypothesis,
        "weeks": "10",
        "budget_cap": "50000",
        "data_allowed": ["open"],
        "no_personal_data": "on",
    }
    assert client.post(edit, form).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.weeks, proposal.data_allowed) == (
        "Route planning for district nurses",
        10,
        ["open"],
    )
    assert proposal.history.first().history_change_reason == "Proposal changed"

    running = build(Status.RUNNING, with_partner=False)
    client.force_login(running.proposer)
    form["public_body"] = running.proposal.public_body_id
    response = client.post(url("edit", running.proposal.pk), form)
    assert response.status_code == 400
    assert "its hypothesis, success and stop criteria are locked" in response.content.decode()
    detail = client.get(url("proposal", running.proposal.pk)).content.decode()
    assert "Change the proposal" not in detail and "Add a success criterion" not in detail
