"""Admin goes through the den's services: each test tries the admin path and meets the refusal.

Before, admin saves wrote rows directly, so a running trial's criteria could change, a
supplier could sit on a panel and a sponsor could score their own trial.
"""

from __future__ import annotations

import pytest

from innovation_den import services
from innovation_den.models import PanelMember, Proposal, Review, SuccessCriterion
from tests.admin_forms import admin_errors, admin_form_data, inline_prefix
from tests.innovation_den.factories import build, draft, scores

pytestmark = pytest.mark.django_db
Status = Proposal.Status


@pytest.fixture
def admin_user(moderator):
    moderator.is_superuser = True
    moderator.save()
    return moderator


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _proposal_url(proposal) -> str:
    return f"/admin/innovation_den/proposal/{proposal.pk}/change/"


def _add_inline_row(data: dict, prefix: str, parent_pk: int, **fields) -> None:
    n = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
    data |= {f"{prefix}-{n}-{name}": value for name, value in fields.items()}
    data |= {f"{prefix}-{n}-id": ""}


def test_admin_cannot_add_a_criterion_to_a_running_trial(admin_client):
    proposal = build(Status.RUNNING, with_partner=False).proposal
    url = _proposal_url(proposal)
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "successcriterion")
    _add_inline_row(
        data, prefix, proposal.pk, description="Quietly moved", measure="m", target="10% more"
    )

    errors = admin_errors(admin_client.post(url, data))

    assert any("the trial is running" in e for e in errors), errors
    assert not SuccessCriterion.objects.filter(description="Quietly moved").exists()


def test_admin_cannot_remove_a_criterion_of_a_running_trial(admin_client):
    proposal = build(Status.RUNNING, with_partner=False).proposal
    url = _proposal_url(proposal)
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "successcriterion")
    data[f"{prefix}-0-DELETE"] = "on"

    errors = admin_errors(admin_client.post(url, data))

    assert any("the trial is running" in e for e in errors), errors
    assert proposal.success_criteria.count() == 1


def test_admin_cannot_change_a_running_trials_hypothesis(admin_client):
    proposal = build(Status.RUNNING, with_partner=False).proposal
    url = _proposal_url(proposal)
    data = admin_form_data(admin_client, url)
    data["hypothesis"] = "We believe nothing will change measured by nothing"

    errors = admin_errors(admin_client.post(url, data))

    assert any("the trial is running" in e for e in errors), errors
    proposal.refresh_from_db()
    assert "nothing will change" not in proposal.hypothesis


def test_admin_criterion_added_to_a_draft_meets_the_services_rules(admin_client):
    proposal = draft()
    url = _proposal_url(proposal)
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "successcriterion")
    _add_inline_row(data, prefix, proposal.pk, description="Happier", measure="m", target="better")

    errors = admin_errors(admin_client.post(url, data))

    assert any("Give a target that can be checked" in e for e in errors), errors
    data[f"{prefix}-1-target"] = "80% of nurses"
    assert admin_client.post(url, data).status_code == 302
    assert proposal.success_criteria.filter(description="Happier", target="80% of nurses").exists()


def test_admin_edit_of_a_draft_goes_through_the_service_and_leaves_status_alone(admin_client):
    proposal = draft()
    url = _proposal_url(proposal)
    data = admin_form_data(admin_client, url) | {"title": "Corrected title", "status": "running"}

    assert admin_client.post(url, data).status_code == 302
    proposal.refresh_from_db()
    assert (proposal.title, proposal.status) == ("Corrected title", Status.DRAFT)
    assert proposal.history.first().history_change_reason == "Proposal changed"


def test_admin_cannot_put_a_supplier_on_a_panel(admin_client, owner):
    review_round = build(Status.IN_REVIEW, with_partner=False).review_round
    url = f"/admin/innovation_den/reviewround/{review_round.pk}/change/"
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "panelmember")
    _add_inline_row(data, prefix, review_round.pk, reviewer=owner.pk)

    errors = admin_errors(admin_client.post(url, data))

    assert any("is not a civil servant" in e for e in errors), errors
    assert not PanelMember.objects.filter(reviewer=owner).exists()


def test_admin_adds_a_civil_servant_to_a_panel_through_the_service(
    admin_client, admin_user, civil_servant
):
    review_round = build(Status.IN_REVIEW, with_partner=False).review_round
    url = f"/admin/innovation_den/reviewround/{review_round.pk}/change/"
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "panelmember")
    _add_inline_row(data, prefix, review_round.pk, reviewer=civil_servant.pk)

    assert admin_client.post(url, data).status_code == 302
    member = PanelMember.objects.get(review_round=review_round, reviewer=civil_servant)
    assert member.added_by == admin_user


def test_admin_cannot_remove_a_panel_member_who_has_scored(admin_client):
    cast = build(Status.IN_REVIEW, with_partner=False)
    services.review_submit(actor=cast.panel[0], proposal=cast.proposal, scores=scores())
    url = f"/admin/innovation_den/reviewround/{cast.review_round.pk}/change/"
    data = admin_form_data(admin_client, url)
    prefix = inline_prefix(admin_client, url, "panelmember")
    index = next(
        i
        for i in range(int(data[f"{prefix}-TOTAL_FORMS"]))
        if data[f"{prefix}-{i}-reviewer"] == str(cast.panel[0].pk)
    )
    data[f"{prefix}-{index}-DELETE"] = "on"

    errors = admin_errors(admin_client.post(url, data))

    assert any("has already scored" in e for e in errors), errors
    assert PanelMember.objects.filter(reviewer=cast.panel[0]).exists()


def test_admin_review_is_checked_for_conflict_of_interest(admin_client, admin_user):
    cast = build(Status.IN_REVIEW, with_partner=False)
    admin_user.civil_servant_since = cast.proposer.civil_servant_since
    admin_user.save()
    PanelMember.objects.create(
        review_round=cast.review_round, reviewer=admin_user, added_by=admin_user
    )
    Proposal.objects.filter(pk=cast.proposal.pk).update(sponsor=admin_user)
    data = {"proposal": cast.proposal.pk, **scores()}

    got = admin_client.post("/admin/innovation_den/review/add/", data)

    assert any("You are the sponsor of this trial" in e for e in admin_errors(got))
    assert not Review.objects.filter(reviewer=admin_user).exists()


def test_admin_review_by_a_panel_member_free_of_conflict_is_recorded(admin_client, admin_user):
    cast = build(Status.IN_REVIEW, with_partner=False)
    admin_user.civil_servant_since = cast.proposer.civil_servant_since
    admin_user.save()
    PanelMember.objects.create(
        review_round=cast.review_round, reviewer=admin_user, added_by=admin_user
    )

    got = admin_client.post(
        "/admin/innovation_den/review/add/", {"proposal": cast.proposal.pk, **scores()}
    )

    assert got.status_code == 302
    review = Review.objects.get(reviewer=admin_user)
    assert review.review_round == cast.review_round


def test_admin_cannot_change_a_review_or_add_a_proposal(admin_client):
    cast = build(Status.IN_REVIEW, with_partner=False)
    review = services.review_submit(actor=cast.panel[0], proposal=cast.proposal, scores=scores())
    url = f"/admin/innovation_den/review/{review.pk}/change/"
    assert admin_client.post(url, {"public_value": 1}).status_code == 403
    assert admin_client.get("/admin/innovation_den/proposal/add/").status_code == 403
