"""/api/v1/den/proposals/ and /api/v1/den/lessons/: public parts only, fixed queries."""

from __future__ import annotations

import pytest

from innovation_den.models import Proposal
from tests.innovation_den.factories import build

Status = Proposal.Status
PROPOSALS = "/api/v1/den/proposals/"
LESSONS = "/api/v1/den/lessons/"


@pytest.fixture
def trials(db):
    return {
        status: build(status, met=status != Status.CLOSED)
        for status in (Status.DRAFT, Status.IN_REVIEW, Status.RUNNING, Status.CLOSED)
    }


def test_only_public_trials_are_listed(trials, client):
    body = client.get(PROPOSALS).json()
    statuses = {row["status"] for row in body["results"]}
    assert statuses == {"running", "closed"}
    assert set(body) == {"next", "previous", "results"}


def test_drafts_stay_private_even_for_their_proposer(trials, client):
    draft = trials[Status.DRAFT]
    client.force_login(draft.proposer)
    assert client.get(f"{PROPOSALS}{draft.proposal.pk}/").status_code == 404
    assert client.get(f"{PROPOSALS}{trials[Status.IN_REVIEW].proposal.pk}/").status_code == 404


def test_a_public_trial_shows_its_design_limits_and_panel_means(trials, client):
    proposal = trials[Status.RUNNING].proposal
    body = client.get(f"{PROPOSALS}{proposal.pk}/").json()
    assert body["hypothesis"].startswith("We believe")
    assert body["sandbox"]["weeks"] == 8 and float(body["sandbox"]["budget_cap"]) == 40000
    assert body["sandbox"]["data_allowed"] == ["synthetic", "anonymised"]
    assert body["sandbox"]["overdue"] is False
    assert body["stop_criteria"] == ["A time-critical visit is missed"]
    assert body["success_criteria"] == [
        {"description": "Less driving", "measure": "Minutes driven per visit", "target": "20% less"}
    ]
    assert [row["mean"] for row in body["panel_scores"]] == [4.0, 4.0, 4.0, 4.0]
    assert "reviewer" not in str(body["panel_scores"])  # means only, never who scored what
    assert [step["to_status"] for step in body["transitions"]] == [
        "submitted",
        "in_review",
        "accepted",
        "running",
    ]
    assert len(body["partners"]) == 1


def test_lessons_include_failures_with_results(trials, client):
    body = client.get(LESSONS).json()
    assert len(body["results"]) == 1
    lesson = body["results"][0]
    assert lesson["outcome"] == "not_met"
    assert lesson["criteria"][0]["met"] is False
    assert lesson["lessons_learned"]
    assert client.get(LESSONS, {"outcome": "met"}).json()["results"] == []
    assert len(client.get(LESSONS, {"q": "trusted"}).json()["results"]) == 1


def test_bad_filters_are_a_structured_400(trials, client):
    response = client.get(LESSONS, {"outcome": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["outcome"][0]["message"].startswith(
        "Select a valid choice."
    )
    assert client.get(PROPOSALS, {"page_size": "1000"}).status_code == 400


def test_the_api_is_read_only(trials, client, moderator):
    client.force_login(moderator)
    assert client.post(PROPOSALS, {}, content_type="application/json").status_code in (403, 405)


@pytest.mark.parametrize("path", [PROPOSALS, LESSONS])
def test_lists_run_a_fixed_number_of_queries(db, client, django_assert_max_num_queries, path):
    build(Status.EVALUATED)
    with django_assert_max_num_queries(12) as first:
        assert client.get(path).status_code == 200
    for _ in range(3):
        build(Status.GRADUATED, met=True)
    with django_assert_max_num_queries(12) as more:
        assert len(client.get(path).json()["results"]) == 4
    assert len(more.captured_queries) == len(first.captured_queries)


def test_cursor_pagination_walks_every_lesson_once(db, client):
    made = {build(Status.EVALUATED).proposal.pk for _ in range(3)}
    seen, link = [], f"{LESSONS}?page_size=2"
    while link:
        body = client.get(link).json()
        seen += [row["id"] for row in body["results"]]
        link = body["next"]
    assert sorted(seen) == sorted(made)
