"""The lessons-learned library: every evaluated trial, searchable and filterable."""

from __future__ import annotations

import pytest
from django.urls import reverse

from innovation_den import selectors, services
from innovation_den.filters import LessonFilter
from innovation_den.models import Proposal
from tests import factories
from tests.innovation_den.factories import build

Status = Proposal.Status


@pytest.fixture
def library(db):
    """Three evaluated trials (met, partly met, not met) and two not yet evaluated."""
    capability = factories.CapabilityFactory(code="machine-learning", name="Machine learning")
    body = factories.PublicBodyFactory(name="Department for Transport")
    met = build(
        Status.GRADUATED,
        met=True,
        title="Pothole prediction",
        lessons="Road survey data predicted potholes weeks early.",
    ).proposal
    met.capabilities.add(capability)
    not_met = build(
        Status.CLOSED,
        met=False,
        title="Planning chatbot",
        lessons="Applicants asked about their own case, which guidance cannot answer.",
    ).proposal
    not_met.public_body = body
    not_met.save()
    partly = build(Status.ACCEPTED, title="Letters in plain English")
    services.success_criterion_add(
        actor=partly.proposer,
        proposal=partly.proposal,
        description="Fewer calls",
        measure="Call logs",
        target="Half as many calls",
    )
    services.proposal_start(actor=partly.proposer, proposal=partly.proposal)
    first, second = partly.proposal.success_criteria.order_by("pk")
    services.proposal_evaluate(
        actor=partly.proposer,
        proposal=partly.proposal,
        results={first.pk: ("Reached", True), second.pk: ("Missed", False)},
        lessons_learned="Caseworkers rewrote drafts heavily.",
        next_steps="Train the model on approved letters.",
    )
    partly_met = partly.proposal
    build(Status.RUNNING, title="Running trial")
    build(Status.ACCEPTED, title="Accepted trial")
    return {"met": met, "not_met": not_met, "partly_met": partly_met, "capability": capability}


def _titles(params: dict) -> set[str]:
    return {p.title for p in LessonFilter(params, queryset=selectors.lessons()).qs}


def test_every_evaluated_trial_is_in_the_library_whatever_its_outcome(library):
    assert _titles({}) == {"Pothole prediction", "Planning chatbot", "Letters in plain English"}


def test_full_text_search_on_the_stored_vector(library):
    assert not Proposal.objects.filter(search_vector__isnull=True).exists()
    # Stemmed words in the lessons (B weight) and the title (A weight).
    assert _titles({"q": "applicant asking"}) == {"Planning chatbot"}
    assert _titles({"q": "potholes"}) == {"Pothole prediction"}
    assert _titles({"q": "caseworker"}) == {"Letters in plain English"}
    assert _titles({"q": "chatbot OR pothole"}) == {"Planning chatbot", "Pothole prediction"}
    assert _titles({"q": "submarine"}) == set()


@pytest.mark.parametrize(
    ("outcome", "title"),
    [
        ("met", "Pothole prediction"),
        ("partly_met", "Letters in plain English"),
        ("not_met", "Planning chatbot"),
    ],
)
def test_filter_by_outcome(library, outcome, title):
    assert _titles({"outcome": outcome}) == {title}


def test_filter_by_capability_and_public_body(library):
    assert _titles({"capability": "machine-learning"}) == {"Pothole prediction"}
    assert _titles({"public_body": "department-for-transport"}) == {"Planning chatbot"}


def test_failures_are_shown_as_prominently_as_successes(library, client):
    page = client.get(reverse("innovation_den:lessons")).content.decode()
    # Every outcome has the same card and a tag of the same size; the failure is listed.
    assert page.count('class="govuk-summary-card app-lesson"') == 3
    assert "Outcome: Not met" in page and "Outcome: Met" in page
    assert "Outcome: Partly met" in page
    assert "1 met, 1 partly met, 1 not met." in page
    # Ordered by evaluation date, not by success.
    assert page.index("Letters in plain English") < page.index("Planning chatbot")


def test_the_lesson_is_found_by_searching_the_page(library, client):
    page = client.get(reverse("innovation_den:lessons"), {"q": "guidance cannot answer"})
    body = page.content.decode()
    assert "1 lesson" in body and "Planning chatbot" in body
    assert "Pothole prediction" not in body


def test_the_trials_list_searches_every_public_trial(library, client):
    page = client.get(reverse("innovation_den:proposals"), {"q": "nurses driving"})
    body = page.content.decode()
    # Running and accepted trials are found by their problem; drafts never are.
    assert "Running trial" in body and "Accepted trial" in body
    assert "Pothole prediction" in body  # evaluated trials too
