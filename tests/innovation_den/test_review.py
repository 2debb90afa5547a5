"""Review rounds, panels, conflict of interest (checked, not trusted) and blind scoring."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import DomainError
from innovation_den import permissions, selectors, services
from innovation_den.models import Proposal, Review, summarise_scores
from tests import factories
from tests.innovation_den.factories import ReviewRoundFactory, build, scores

Status = Proposal.Status


# --- Panels ------------------------------------------------------------------------------


def test_only_moderators_form_panels_and_only_from_civil_servants(
    db, moderator, owner, member, other_owner, civil_servant, anonymous
):
    review_round = ReviewRoundFactory(opened_by=moderator)
    for actor in (owner, member, other_owner, civil_servant, anonymous):
        with pytest.raises(PermissionDenied):
            services.panel_member_add(
                actor=actor, review_round=review_round, reviewer_email=civil_servant.email
            )
        with pytest.raises(PermissionDenied):
            services.review_round_open(actor=actor, name="Round by the wrong person")
    with pytest.raises(DomainError, match="not a civil servant"):
        services.panel_member_add(
            actor=moderator, review_round=review_round, reviewer_email=owner.email
        )
    with pytest.raises(DomainError, match="No one with a Techmap account"):
        services.panel_member_add(
            actor=moderator, review_round=review_round, reviewer_email="nobody@example.gov.uk"
        )
    member_row = services.panel_member_add(
        actor=moderator, review_round=review_round, reviewer_email=civil_servant.email.upper()
    )
    assert member_row.reviewer == civil_servant
    with pytest.raises(DomainError, match="already on this panel"):
        services.panel_member_add(
            actor=moderator, review_round=review_round, reviewer_email=civil_servant.email
        )


def test_review_needs_enough_panel_members_free_of_conflict(db):
    cast = build(Status.SUBMITTED)
    review_round = ReviewRoundFactory(opened_by=cast.moderator)
    # The partner's owner is a civil servant too (it happens): they are still conflicted.
    cast.partner_owner.civil_servant_since = cast.proposal.created_at
    cast.partner_owner.save()
    clean = factories.CivilServantFactory()
    for person in (cast.partner_owner, clean):
        services.panel_member_add(
            actor=cast.moderator, review_round=review_round, reviewer_email=person.email
        )
    with pytest.raises(DomainError, match="1 member\\(s\\) free of a conflict of interest"):
        services.proposal_start_review(
            actor=cast.moderator, proposal=cast.proposal, review_round=review_round
        )
    services.panel_member_add(
        actor=cast.moderator,
        review_round=review_round,
        reviewer_email=factories.CivilServantFactory().email,
    )
    services.proposal_start_review(
        actor=cast.moderator, proposal=cast.proposal, review_round=review_round
    )
    eligible, excused = services.eligible_panel(cast.proposal, review_round)
    assert cast.partner_owner not in eligible
    assert excused == [
        (
            cast.partner_owner,
            f"You work for {cast.proposal.partners.get().supplier.name}, a partner in this trial.",
        )
    ]


def test_a_closed_round_takes_no_one(db, moderator, civil_servant):
    review_round = ReviewRoundFactory(opened_by=moderator)
    services.review_round_close(actor=moderator, review_round=review_round)
    with pytest.raises(DomainError, match="closed"):
        services.panel_member_add(
            actor=moderator, review_round=review_round, reviewer_email=civil_servant.email
        )


# --- Conflict of interest -----------------------------------------------------------------


def _conflicted_cast():
    """A proposal in review whose round's panel includes the proposer, the partner
    supplier's owner and member, and two reviewers free of any conflict."""
    cast = build(Status.SUBMITTED)
    for person in (cast.proposer, cast.partner_owner, cast.partner_member):
        person.civil_servant_since = cast.proposal.created_at
        person.save()
    review_round = ReviewRoundFactory(opened_by=cast.moderator)
    clean = [factories.CivilServantFactory(), factories.CivilServantFactory()]
    for person in [cast.proposer, cast.partner_owner, cast.partner_member, *clean]:
        services.panel_member_add(
            actor=cast.moderator, review_round=review_round, reviewer_email=person.email
        )
    services.proposal_start_review(
        actor=cast.moderator, proposal=cast.proposal, review_round=review_round
    )
    return cast, clean


def test_conflict_of_interest_is_checked_not_trusted(db):
    cast, clean = _conflicted_cast()
    supplier = cast.proposal.partners.get().supplier
    expected = {
        cast.proposer: "You proposed this trial.",
        cast.partner_owner: f"You work for {supplier.name}, a partner in this trial.",
        cast.partner_member: f"You work for {supplier.name}, a partner in this trial.",
    }
    for person, reason in expected.items():
        assert permissions.is_panel_member(person, cast.proposal)
        assert permissions.conflict_of_interest(person, cast.proposal) == reason
        assert not permissions.can_score(person, cast.proposal)
        with pytest.raises(PermissionDenied) as error:
            services.review_submit(actor=person, proposal=cast.proposal, scores=scores())
        assert str(error.value) == f"You cannot review this proposal: {reason}"
    assert not Review.objects.exists()
    # The decision waits only for the panel members free of conflict.
    for person in clean:
        services.review_submit(actor=person, proposal=cast.proposal, scores=scores())
    services.proposal_decide(
        actor=cast.moderator, proposal=cast.proposal, accept=True, reason="Good."
    )


def test_the_sponsor_cannot_review(db, moderator):
    member = factories.MembershipFactory(role="owner").user
    sponsor = factories.CivilServantFactory()
    proposal = services.proposal_create(
        actor=member,
        title="Supplier-led trial",
        problem="Problem.",
        public_body=sponsor.public_body,
        hypothesis="We believe A will B measured by C.",
        weeks=4,
        budget_cap=1000,
        data_allowed=["open"],
        sponsor_email=sponsor.email,
    )
    assert permissions.conflict_of_interest(sponsor, proposal) == (
        "You are the sponsor of this trial."
    )


def test_a_conflict_that_arises_during_review_is_still_caught(db):
    cast = build(Status.IN_REVIEW)
    reviewer = cast.panel[0]
    # The reviewer joins a partner supplier after the review started.
    factories.MembershipFactory(supplier=cast.proposal.partners.get().supplier, user=reviewer)
    with pytest.raises(PermissionDenied, match="You cannot review this proposal: You work for"):
        services.review_submit(actor=reviewer, proposal=cast.proposal, scores=scores())


def test_only_panel_members_score(db, owner, other_owner, civil_servant, moderator, anonymous):
    cast = build(Status.IN_REVIEW)
    for actor in (owner, other_owner, civil_servant, moderator, anonymous, cast.proposer):
        with pytest.raises(PermissionDenied):
            services.review_submit(actor=actor, proposal=cast.proposal, scores=scores())


# --- Scoring --------------------------------------------------------------------------------


def test_scores_are_1_to_5_each_with_a_comment_and_given_once(db):
    cast = build(Status.IN_REVIEW)
    reviewer = cast.panel[0]
    bad = scores(public_value=0, safety=6)
    bad["innovation"] = "five"
    bad["feasibility_comment"] = "  "
    with pytest.raises(DomainError) as error:
        services.review_submit(actor=reviewer, proposal=cast.proposal, scores=bad)
    assert set(error.value.message_dict) == {
        "public_value",
        "safety",
        "innovation",
        "feasibility_comment",
    }
    services.review_submit(actor=reviewer, proposal=cast.proposal, scores=scores(3))
    with pytest.raises(DomainError, match="already scored this proposal"):
        services.review_submit(actor=reviewer, proposal=cast.proposal, scores=scores(5))
    assert Review.objects.get().public_value == 3


def test_summary_shows_mean_spread_and_flags_strong_disagreement():
    class R:
        def __init__(self, **values):
            self.__dict__.update(values)

    reviews = [
        R(public_value=5, feasibility=1, innovation=3, safety=4),
        R(public_value=4, feasibility=4, innovation=3, safety=2),
        R(public_value=5, feasibility=3, innovation=3, safety=4),
    ]
    summary = {row["code"]: row for row in summarise_scores(reviews)}
    assert summary["public_value"]["mean"] == 4.7
    assert summary["public_value"]["spread"] == 1
    assert not summary["public_value"]["disagreement"]
    assert summary["feasibility"]["spread"] == 3
    assert summary["feasibility"]["disagreement"]  # 3 or more is flagged
    assert summary["safety"]["spread"] == 2
    assert not summary["safety"]["disagreement"]
    assert summarise_scores([])[0]["mean"] is None


# --- Blind scoring --------------------------------------------------------------------------


def test_no_one_sees_others_scores_until_they_have_scored(db, client):
    cast = build(Status.IN_REVIEW, panel_size=3)
    first, second, third = cast.panel
    services.review_submit(
        actor=first,
        proposal=cast.proposal,
        scores=scores(5, feasibility=1) | {"feasibility_comment": "FIRST-SECRET-COMMENT"},
    )
    url = reverse("innovation_den:proposal", args=[cast.proposal.pk])

    # Before scoring: the second member sees neither the scores, the comment, nor the means.
    state = selectors.review_state(second, cast.proposal)
    assert state["reviews"] == [] and state["summary"] is None and state["can_score"]
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "FIRST-SECRET-COMMENT" not in page
    assert "Strong disagreement" not in page and "The panel's scores" not in page
    review_page = client.get(reverse("innovation_den:review", args=[cast.proposal.pk]))
    assert "FIRST-SECRET-COMMENT" not in review_page.content.decode()

    # The proposer and the partner do not see scores while the review runs either.
    for person in (cast.proposer, cast.partner_owner):
        assert selectors.review_state(person, cast.proposal)["summary"] is None
        client.force_login(person)
        assert "FIRST-SECRET-COMMENT" not in client.get(url).content.decode()

    # Once the second member has scored, they see everything: scores, comments, spread.
    services.review_submit(actor=second, proposal=cast.proposal, scores=scores(4))
    state = selectors.review_state(second, cast.proposal)
    assert len(state["reviews"]) == 2 and state["summary"] is not None
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "FIRST-SECRET-COMMENT" in page
    assert "The panel's scores" in page
    assert "Strong disagreement" in page  # feasibility 1 against 4

    # The third still sees nothing; a moderator sees everything.
    assert selectors.review_state(third, cast.proposal)["reviews"] == []
    assert len(selectors.review_state(cast.moderator, cast.proposal)["reviews"]) == 2


def test_after_the_decision_the_means_are_public_but_not_who_scored_what(db, client):
    cast = build(Status.ACCEPTED)
    state = selectors.review_state(AnonymousUser(), cast.proposal)
    assert state["summary"] is not None
    assert state["reviews"] == []
    page = client.get(reverse("innovation_den:proposal", args=[cast.proposal.pk]))
    body = page.content.decode()
    assert "Public value" in body and "Comment on public_value." not in body
